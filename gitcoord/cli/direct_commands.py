"""The lean route for `gitcoord task take|heartbeat|done` and `gitcoord watch`: their command
lines parsed without importing typer (cli/entry.py), then run by task_run.py and
watch_run.py as the typer commands run them. Workers call the task commands often, and a
watch frame is measured whole; typer's import (click, and pydantic for options with values)
costs about a tenth of a second per command.

The options are click's as typer declares them in task_cmd.py and watch_cmd.py: long
options as `--ttl 30m` or `--ttl=30m`, a value taken verbatim even when it starts with '-',
the last of a repeated option wins, the task id anywhere, a lone `-` is an id, `--` ends the
options; `take`'s `--wait` made explicit first, as main.run does
(claim_options.normalise_wait). What this cannot parse (help, an unknown option, a missing
or extra argument, a value given to a flag) returns None, and typer then shows the help or
its usage error. tests/test_direct_commands.py checks both parsers agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from gitcoord.cli.claim_options import normalise_wait


class Command(NamedTuple):
    """One command: its long options (spelling -> keyword, whether it takes a value, its
    default when it takes one) and its task id argument (`ids`: at least, at most)."""

    options: dict[str, tuple[str, bool, str | None]]
    ids: tuple[int, int] = (1, 1)


_JSON = {"--json": ("as_json", False, None)}
_TTL = {"--ttl": ("ttl", True, None)}
COMMANDS = {
    ("task", "take"): Command(
        {"--pool": ("pool", True, None), **_TTL, "--wait": ("wait", True, None), **_JSON},
        ids=(0, 1),
    ),
    ("task", "heartbeat"): Command({**_TTL, **_JSON}),
    ("task", "done"): Command(
        {"--result": ("result", True, None), "--commit": ("commit", True, None), **_JSON}
    ),
    ("watch",): Command(
        {"--once": ("once", False, None), "--interval": ("interval", True, "2s")}, ids=(0, 0)
    ),
}


class _CannotParse(Exception):
    """Leave this command line to typer."""


def direct_arguments(argv: Sequence[str]) -> tuple[tuple[str, ...], dict[str, Any]] | None:
    """The command `argv` names (a key of COMMANDS) and the keywords its run function gets,
    exactly as typer would pass them; None when it is not one of these commands or typer
    must parse it."""
    words = tuple(argv[:2]) if argv[:1] == ["task"] else tuple(argv[:1])
    command = COMMANDS.get(words)
    if command is None:
        return None
    values: dict[str, Any] = {
        key: default if takes else False for key, takes, default in command.options.values()
    }
    ids: list[str] = []
    rest = list(argv[len(words) :])
    rest = normalise_wait(rest) if words == ("task", "take") else rest
    try:
        while rest:
            arg = rest.pop(0)
            if arg == "--":
                ids += rest
                break
            if arg.startswith("-") and arg != "-":
                _option(arg, rest, command, values)
            else:
                ids.append(arg)
    except _CannotParse:
        return None
    least, most = command.ids
    if not least <= len(ids) <= most:
        return None  # "Got unexpected extra argument" / "Missing argument 'ID'"
    if most:
        values = {"task_id": ids[0] if ids else None, **values}
    return words, values


def _option(arg: str, rest: list[str], command: Command, values: dict[str, Any]) -> None:
    spelling, eq, explicit = arg.partition("=")
    found = command.options.get(spelling)
    if found is None or (eq and not found[1]):
        raise _CannotParse  # -h, --help, an unknown option, `--json=x`
    key, takes_value, _ = found
    if not takes_value:
        values[key] = True
    elif eq:
        values[key] = explicit
    elif rest:
        values[key] = rest.pop(0)
    else:
        raise _CannotParse  # "Option '--ttl' requires an argument."


def runner(words: tuple[str, ...]) -> Callable[..., int]:
    """The run function of the command `words` (imported only once its line has parsed)."""
    if words == ("watch",):
        from gitcoord.cli.watch_run import run_watch

        return run_watch
    from gitcoord.cli import task_run

    functions: dict[str, Callable[..., int]] = {
        "take": task_run.run_take,
        "heartbeat": task_run.run_heartbeat,
        "done": task_run.run_done,
    }
    return functions[words[1]]
