"""The lean route of `gitcoord task take|heartbeat|done` and `gitcoord watch`
(cli/direct_commands.py) and the typer route agree: on what a command line means, and on
what the command then prints and exits.

Parsing: typer's own parser, the real commands of main.app (click's make_context, after
the `--wait` normalisation main.run makes), against the fast parser; where the fast parser gives
up, typer must show help or a usage error. Running: the installed `gitcoord` console script
(the lean route) against main.run on main.app in another process (typer), in a real clone
of a real remote, compared byte for byte.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer._click import Context as ClickContext
from typer._click.exceptions import UsageError as ClickUsageError
from typer.main import get_command

from gitcoord.cli import main
from gitcoord.cli.claim_options import normalise_wait
from gitcoord.cli.direct_commands import direct_arguments
from tests.gitenv import Agent, Result

pytestmark = pytest.mark.transports("file")


def typer_parse(name: str, argv: list[str]) -> dict[str, Any] | None:
    """The keywords typer's `task NAME` (or `watch`) command gets for `argv`; None for help
    or a usage error (the command would not run)."""
    group = get_command(main.app)
    if name == "watch":
        command, parent = group.commands["watch"], None  # type: ignore[attr-defined]
    else:
        task = group.commands["task"]  # type: ignore[attr-defined]
        command, parent = task.commands[name], ClickContext(task, info_name="task")
    args = normalise_wait(argv) if name == "take" else argv  # as main.run does
    try:
        with command.make_context(name, args, parent=parent) as ctx:
            return dict(ctx.params)
    except (ClickUsageError, typer.Exit):  # a usage error, or the help printed
        return None


def agree(name: str, argv: list[str]) -> dict[str, Any] | None:
    words = ["watch"] if name == "watch" else ["task", name]
    parsed = direct_arguments([*words, *argv])
    fast = None if parsed is None else parsed[1]
    assert parsed is None or parsed[0] == tuple(words)
    assert typer_parse(name, argv) == fast, (name, argv)
    return fast


TAKE = {"task_id": None, "pool": None, "ttl": None, "wait": None, "as_json": False}
BEAT = {"task_id": "t1", "ttl": None, "as_json": False}
DONE = {"task_id": "t1", "result": None, "commit": None, "as_json": False}
WATCH = {"once": False, "interval": "2s"}

PARSED: list[tuple[str, list[str], dict[str, Any]]] = [
    ("take", [], TAKE),
    ("take", ["t1", "--json"], {**TAKE, "task_id": "t1", "as_json": True}),
    ("take", ["--pool", "gpu", "--ttl=10m"], {**TAKE, "pool": "gpu", "ttl": "10m"}),
    ("take", ["--wait"], {**TAKE, "wait": "forever"}),
    ("take", ["--wait", "10m", "t1"], {**TAKE, "wait": "10m", "task_id": "t1"}),
    ("take", ["--wait", "t1"], {**TAKE, "wait": "forever", "task_id": "t1"}),
    ("take", ["--wait=3", "--json"], {**TAKE, "wait": "3", "as_json": True}),
    ("take", ["--pool", "--wait"], {**TAKE, "pool": "--wait=forever"}),  # as main.run sees it
    ("take", ["--ttl", "--json"], {**TAKE, "ttl": "--json"}),  # a value is verbatim
    ("take", ["--ttl", "1m", "--ttl", "2m"], {**TAKE, "ttl": "2m"}),  # the last wins
    ("take", ["--", "-t1"], {**TAKE, "task_id": "-t1"}),
    ("take", ["-"], {**TAKE, "task_id": "-"}),
    ("take", [""], {**TAKE, "task_id": ""}),
    ("heartbeat", ["t1"], BEAT),
    ("heartbeat", ["--ttl", "1h", "t1", "--json"], {**BEAT, "ttl": "1h", "as_json": True}),
    ("done", ["t1"], DONE),
    ("done", ["t1", "--result", '{"a": 1}'], {**DONE, "result": '{"a": 1}'}),
    ("done", ["--commit=HEAD", "t1", "--json"], {**DONE, "commit": "HEAD", "as_json": True}),
    ("done", ["t1", "--result", "@-"], {**DONE, "result": "@-"}),
    ("watch", [], WATCH),
    ("watch", ["--once"], {**WATCH, "once": True}),
    ("watch", ["--interval", "10s", "--once"], {"once": True, "interval": "10s"}),
    ("watch", ["--interval=", "--interval=1m"], {**WATCH, "interval": "1m"}),
]


@pytest.mark.parametrize(("name", "argv", "expected"), PARSED)
def test_fast_parser_passes_what_typer_passes(
    name: str, argv: list[str], expected: dict[str, Any]
) -> None:
    assert agree(name, argv) == expected


@pytest.mark.parametrize(
    ("name", "argv"),
    [
        ("take", ["-h"]),
        ("take", ["--help"]),
        ("take", ["t1", "t2"]),  # one id at most
        ("take", ["--bogus"]),
        ("take", ["--po", "gpu"]),  # no abbreviations
        ("take", ["--json=1"]),
        ("take", ["--pool"]),
        ("take", ["-5"]),
        ("heartbeat", []),  # the id is required
        ("heartbeat", ["t1", "--wait", "1m"]),  # not heartbeat's option
        ("done", ["t1", "--result"]),
        ("done", ["t1", "-r", "x"]),
        ("watch", ["-h"]),
        ("watch", ["now"]),  # no arguments
        ("watch", ["--once=1"]),
        ("watch", ["--interval"]),
        ("watch", ["--json"]),
    ],
)
def test_fast_parser_leaves_help_and_usage_errors_to_typer(name: str, argv: list[str]) -> None:
    assert agree(name, argv) is None


def test_other_commands_are_not_taken() -> None:
    for argv in (["task"], ["task", "add", "x"], ["task", "list"], ["watching"], ["claim"]):
        assert direct_arguments(argv) is None


TOKENS = st.sampled_from(
    [
        *("t1", "t-2", "-", "--", "", "1s", "gpu", "x=y", "@f"),
        *("--pool", "--pool=gpu", "--ttl", "--ttl=30m", "--wait", "--wait=1s", "--json"),
        *("--result", "--result={}", "--commit", "--commit=HEAD", "--once", "--interval"),
        *("-h", "--help", "--bogus", "-x", "--json=1", "--ttl="),
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["take", "heartbeat", "done", "watch"]), st.lists(TOKENS, max_size=6))
def test_parsers_agree_on_any_command_line(name: str, argv: list[str]) -> None:
    agree(name, argv)


# -- the two routes run ------------------------------------------------------------------

_TYPER = (
    "import sys; from gitcoord.cli import main; "
    "sys.exit(main.run(main.app, sys.argv[1:], 'gitcoord'))"
)


def both(agent: Agent, *args: str) -> tuple[Result, Result]:
    """`gitcoord ARGS` on the lean route, then through typer, in the same clone."""
    lean = agent.gitcoord(*args)
    typer_route = agent.run(sys.executable, "-c", _TYPER, *args)
    return lean, typer_route


def same(agent: Agent, *args: str) -> Result:
    lean, typer_route = both(agent, *args)
    assert (lean.rc, lean.out, lean.err) == (typer_route.rc, typer_route.out, typer_route.err)
    return lean


def _stable(out: str) -> list[str]:
    """The lines of a take's output but the lease's end (moved on by the time between)."""
    lines = out.splitlines()
    assert any(ln.startswith("  lease:    expires in ") for ln in lines), out
    return [ln for ln in lines if not ln.startswith("  lease:")]


def _timeless(frame: str) -> str:
    """A frame with its times and ages made alike ("now" and "3s ago" moved on between)."""
    alike = re.sub(r"\d+", "N", frame).replace("  now", "  Ns ago")
    return re.sub(r" +", " ", alike)  # (column widths follow the cells)


def test_both_routes_print_and_exit_alike(alice: Agent, bob: Agent, tmp_path: Path) -> None:
    # Nothing to take: exit 1 and why, in text and in JSON.
    assert same(alice, "task", "take").rc == 1
    assert json.loads(same(alice, "task", "take", "--json").out) == {"task": None}
    assert same(alice, "task", "take", "--wait", "1s", "--json").rc == 1
    # Usage errors of the commands themselves (exit 2), with --json's error on stdout.
    assert same(alice, "task", "take", "Bad Id").rc == 2
    assert same(alice, "task", "take", "--ttl", "soon", "--json").rc == 2
    assert same(alice, "task", "take", "--pool", "gpu").rc == 2  # no such pool
    assert same(alice, "task", "take", "--wait=0s", "--ttl", "0s").rc == 2
    for n in (1, 2):
        assert alice.gitcoord("task", "add", "a task", "--id", f"t{n}").rc == 0
    # Not mine: exit 1 naming where the task is.
    assert same(bob, "task", "heartbeat", "t1").rc == 1
    assert same(bob, "task", "done", "t1", "--json").rc == 1
    assert same(bob, "task", "done", "t1", "--result", "{bad").rc == 2
    assert same(bob, "task", "done", "t1", "--commit", "no-such-commit").rc == 2
    assert same(bob, "task", "done", "t1", "--result", f"@{tmp_path / 'missing'}").rc == 2
    # Taken by each route: the same lines, but for the task and the lease's end.
    lean, typer_route = both(bob, "task", "take", "--ttl", "1h")
    assert (lean.rc, typer_route.rc) == (0, 0)
    assert _stable(lean.out.replace("t1", "t2")) == _stable(typer_route.out)
    beat = [bob.gitcoord("task", "heartbeat", "t1", "--json")]
    beat.append(bob.run(sys.executable, "-c", _TYPER, "task", "heartbeat", "t2", "--json"))
    assert [json.loads(r.out)["task"]["state"] for r in beat] == ["running", "running"]
    finished = [bob.gitcoord("task", "done", "t1", "--result", "[1]")]
    finished.append(bob.run(sys.executable, "-c", _TYPER, "task", "done", "t2", "--result", "[1]"))
    assert [r.out.replace("t1", "t2") for r in finished] == [finished[1].out] * 2
    assert [r.rc for r in finished] == [0, 0]
    # watch: one frame alike (but for the times in it), and a bad --interval alike.
    lean, typer_route = both(bob, "watch", "--once")
    assert (lean.rc, lean.err, typer_route.rc, typer_route.err) == (0, "", 0, "")
    assert "tasks done" in lean.out
    assert _timeless(lean.out) == _timeless(typer_route.out)
    assert same(bob, "watch", "--once", "--interval", "soon").rc == 2
    # The console script took its lean route: typer was never imported.
    for argv in (["task", "take", "--json"], ["watch", "--once"]):
        probe = (
            "import sys; from gitcoord.cli.entry import dispatch; "
            f"rc = dispatch({argv!r}, git_claim=False); "
            "print(rc, 'typer' in sys.modules, 'click' in sys.modules)"
        )
        rc = "1" if argv[0] == "task" else "0"
        assert bob.run(sys.executable, "-c", probe).out.splitlines()[-1] == f"{rc} False False"
    # Help and usage errors go to typer from either start.
    assert "Usage: gitcoord task take" in same(bob, "task", "take", "-h").out
    assert same(bob, "task", "heartbeat").rc == 2
