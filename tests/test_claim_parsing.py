"""The fast parser of `git claim` (cli/direct.py) and typer accept the same command lines.

Typer runs for real: main.run on the `git claim` app built exactly as the installed one
(main.claim_typer + claim_cmd.command_for), around a command that records the keywords it
would pass to run_claim. Where the fast parser gives up, typer must show help or a usage
error, never run the command.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitcoord.cli import main
from gitcoord.cli.claim_cmd import command_for
from gitcoord.cli.direct import direct_claim_arguments
from gitcoord.core.errors import ExitCode


@pytest.fixture(autouse=True)
def _keep_signal_handlers() -> Iterator[None]:
    """main.run installs the CLI's SIGINT/SIGTERM handlers: give pytest its own back."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


def typer_parse(argv: list[str]) -> tuple[int, dict[str, Any] | None]:
    """typer's exit code for `argv`, and the keywords it passed to the command (None when it
    did not run it)."""
    got: list[dict[str, Any]] = []
    rc = main.run(main.claim_typer(command_for(lambda **kw: got.append(kw))), argv, "git claim")
    assert len(got) <= 1
    return rc, got[0] if got else None


def agree(argv: list[str]) -> dict[str, Any] | None:
    """Assert both parsers agree on `argv`; the fast parser's result."""
    fast = direct_claim_arguments(argv)
    rc, passed = typer_parse(argv)
    if fast is not None:
        assert (rc, passed) == (0, fast), argv
    else:
        assert passed is None, (argv, passed)  # help or a usage error, never the command
        assert rc in (ExitCode.OK, ExitCode.USAGE), argv
    return fast


DEFAULTS: dict[str, Any] = {
    "paths": None,
    "mode": None,
    "ttl": None,
    "reason": "",
    "wait": None,
    "priority": None,
    "delete": False,
    "all_": False,
    "commit": None,
    "renew": False,
    "break_": False,
    "check": False,
    "mine": False,
    "agent": None,
    "under": None,
    "as_json": False,
    "command": None,
}

PARSED: list[tuple[list[str], dict[str, Any]]] = [
    ([], {}),
    (["src/api.py", "docs/"], {"paths": ["src/api.py", "docs/"]}),
    (
        ["--wait", "--priority", "high", "a"],
        {"wait": "forever", "priority": "high", "paths": ["a"]},
    ),
    (["-r", "fix auth", "src/api.py"], {"reason": "fix auth", "paths": ["src/api.py"]}),
    (["src/api.py", "--reason=fix"], {"reason": "fix", "paths": ["src/api.py"]}),
    (["-rwhy", "a"], {"reason": "why", "paths": ["a"]}),
    (["-r=why", "a"], {"reason": "=why", "paths": ["a"]}),  # click's way: `-r` takes "=why"
    (["-r", "--json", "a"], {"reason": "--json", "paths": ["a"]}),  # a value is verbatim
    (["-r", "--", "a"], {"reason": "--", "paths": ["a"]}),
    (["-m", "read", "docs/"], {"mode": "read", "paths": ["docs/"]}),
    (["--mode=read", "docs/"], {"mode": "read", "paths": ["docs/"]}),
    (["--mode="], {"mode": ""}),
    (["-dm", "read"], {"delete": True, "mode": "read"}),
    (["--ttl", "30m", "a"], {"ttl": "30m", "paths": ["a"]}),
    (["--ttl=30m", "a"], {"ttl": "30m", "paths": ["a"]}),
    (["--ttl", "1m", "--ttl", "2h", "a"], {"ttl": "2h", "paths": ["a"]}),  # the last wins
    (["--wait", "a"], {"wait": "forever", "paths": ["a"]}),
    (["--wait", "1s", "a"], {"wait": "1s", "paths": ["a"]}),  # as --ttl 30m
    (["--wait", "3", "a"], {"wait": "3", "paths": ["a"]}),  # run_claim: a unit is needed
    (["--wait", "./1s"], {"wait": "forever", "paths": ["./1s"]}),  # clearly a path
    (["--wait", "--json", "a"], {"wait": "forever", "as_json": True, "paths": ["a"]}),
    (["-r", "--wait", "a"], {"reason": "--wait", "paths": ["a"]}),  # a value is verbatim
    (["--", "--wait", "1s"], {"command": ["--wait", "1s"]}),  # run_claim: no paths
    # `--` ends the options: what follows is the command to hold the claims for.
    (["x", "--", "sleep", "1"], {"paths": ["x"], "command": ["sleep", "1"]}),
    (
        ["x", "--ttl", "3s", "--", "sh", "-c", "-d"],
        {"paths": ["x"], "ttl": "3s", "command": ["sh", "-c", "-d"]},
    ),
    (["--wait", "--", "make", "--", "x"], {"wait": "forever", "command": ["make", "--", "x"]}),
    (["x", "--"], {"paths": ["x"], "command": []}),  # run_claim: nothing to run
    (["--check", "x", "-m", "read"], {"check": True, "paths": ["x"], "mode": "read"}),
    (["--mine", "--under", "src/"], {"mine": True, "under": "src/"}),
    (["--agent=bob", "--json"], {"agent": "bob", "as_json": True}),
    (["--wait=1s", "a"], {"wait": "1s", "paths": ["a"]}),
    (["--renew"], {"renew": True}),
    (["--renew", "--ttl", "2h"], {"renew": True, "ttl": "2h"}),
    (["-d", "a", "--commit", "HEAD"], {"delete": True, "paths": ["a"], "commit": "HEAD"}),
    (["-d", "-d", "a"], {"delete": True, "paths": ["a"]}),
    (["--delete", "--all", "--json"], {"delete": True, "all_": True, "as_json": True}),
    (["--break", "a", "-r", "gone"], {"break_": True, "paths": ["a"], "reason": "gone"}),
    (["-d", "--renew"], {"delete": True, "renew": True}),  # run_claim refuses it, not the parser
    (["./-odd", "--json"], {"paths": ["./-odd"], "as_json": True}),
    (["-", "a"], {"paths": ["-", "a"]}),
    (["-r", "\udcff", "\udcfe"], {"reason": "\udcff", "paths": ["\udcfe"]}),  # not UTF-8
]


@pytest.mark.parametrize(("argv", "expected"), PARSED)
def test_fast_parser_passes_what_typer_passes(argv: list[str], expected: dict[str, Any]) -> None:
    assert agree(argv) == {**DEFAULTS, **expected}


@pytest.mark.parametrize(
    "argv",
    [
        ["-h"],
        ["--help"],
        ["a", "-h"],
        ["--bogus"],
        ["-x"],
        ["-dx"],
        ["-d=1"],
        ["--json=1"],
        ["--ttl"],
        ["a", "-r"],
        ["-dm"],
        ["--mod", "read"],  # no abbreviations
        ["-odd-name"],
    ],
)
def test_fast_parser_leaves_help_and_usage_errors_to_typer(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert agree(argv) is None
    out, err = capsys.readouterr()
    assert (
        ("Usage: git claim" in out)
        if argv[-1] in ("-h", "--help")
        else err.startswith("gitcoord: ")
    )


TOKENS = st.sampled_from(
    [
        *("a", "src/", "-", "--", "", "x=y", "1s"),
        *("-r", "--reason", "-rwhy", "-r=", "--reason=", "-m", "read", "--mode=intent"),
        *("--ttl", "--ttl=30m", "--wait", "--wait=1s", "--commit", "--commit=HEAD", "3"),
        *("-d", "--delete", "--all", "--renew", "--break", "--json", "-dr", "-dm", "-md"),
        *("--check", "--mine", "--agent", "--under=src", "sleep"),
        *("-h", "--help", "--bogus", "-x", "--json=1", "--all=", "-d=1"),
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(TOKENS, max_size=6))
def test_parsers_agree_on_any_command_line(argv: list[str]) -> None:
    fast = direct_claim_arguments(argv)
    rc, passed = typer_parse(argv)
    assert passed == fast, argv  # never: one runs the command and the other does not
    if fast is None:
        assert rc in (ExitCode.OK, ExitCode.USAGE), argv
