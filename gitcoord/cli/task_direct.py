"""The lean route for `gitcoord task take|heartbeat|done`: their command lines parsed
without importing typer (cli/entry.py), then run by task_run.py as the typer commands run
them. Workers call these often; typer's import (click, and pydantic for options with
values) costs a fifth to a quarter of a second per command.

The options are click's as typer declares them in task_cmd.py: long options as `--ttl 30m`
or `--ttl=30m`, a value taken verbatim even when it starts with '-', the last of a
repeated option wins, the task id anywhere, a lone `-` is an id, `--` ends the options;
`take`'s `--wait` made explicit first, as main.run does (claim_options.normalise_wait).
What this cannot parse (help, an unknown option, a missing or extra argument, a value given
to a flag) returns None, and typer then shows the help or its usage error.
tests/test_task_direct.py checks both parsers agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from gitcoord.cli.claim_options import normalise_wait


class Command(NamedTuple):
    """One command: its long options (spelling -> keyword, whether it takes a value) and
    whether its task id may be left out."""

    options: dict[str, tuple[str, bool]]
    id_optional: bool = False


_JSON = {"--json": ("as_json", False)}
_TTL = {"--ttl": ("ttl", True)}
COMMANDS = {
    "take": Command(
        {"--pool": ("pool", True), **_TTL, "--wait": ("wait", True), **_JSON}, id_optional=True
    ),
    "heartbeat": Command({**_TTL, **_JSON}),
    "done": Command({"--result": ("result", True), "--commit": ("commit", True), **_JSON}),
}


class _CannotParse(Exception):
    """Leave this command line to typer."""


def direct_task_arguments(name: str, argv: Sequence[str]) -> dict[str, Any] | None:
    """The keywords task_run's function for `task NAME` gets from `argv` (what follows
    `task NAME`), exactly as typer would pass them; None when typer must parse it."""
    command = COMMANDS[name]
    values: dict[str, Any] = {
        key: False if not takes else None for key, takes in command.options.values()
    }
    ids: list[str] = []
    rest = normalise_wait(argv) if name == "take" else list(argv)
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
    if len(ids) > 1 or not (ids or command.id_optional):
        return None  # "Got unexpected extra argument" / "Missing argument 'ID'"
    return {"task_id": ids[0] if ids else None, **values}


def _option(arg: str, rest: list[str], command: Command, values: dict[str, Any]) -> None:
    spelling, eq, explicit = arg.partition("=")
    found = command.options.get(spelling)
    if found is None or (eq and not found[1]):
        raise _CannotParse  # -h, --help, an unknown option, `--json=x`
    key, takes_value = found
    if not takes_value:
        values[key] = True
    elif eq:
        values[key] = explicit
    elif rest:
        values[key] = rest.pop(0)
    else:
        raise _CannotParse  # "Option '--ttl' requires an argument."


def runner(name: str) -> Callable[..., int]:
    """task_run's function for `task NAME` (imported only once the line has parsed)."""
    from gitcoord.cli import task_run

    functions: dict[str, Callable[..., int]] = {
        "take": task_run.run_take,
        "heartbeat": task_run.run_heartbeat,
        "done": task_run.run_done,
    }
    return functions[name]
