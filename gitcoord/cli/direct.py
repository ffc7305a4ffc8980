"""The fast route for `git claim`: its command line parsed without importing typer.

Typer 0.29 coerces every parameter that is not a flag through a pydantic TypeAdapter, and
the first one imports pydantic: ~0.15 s, more than a claim's two round trips to a remote
on a LAN. So every form `git claim` accepts is parsed here, from the one declaration in
claim_options.py, by click's rules as typer applies them: long options as `--ttl 30m` or
`--ttl=30m`, short ones as `-r why`, `-rwhy` or bundled (`-dm read`), a value taken
verbatim even when it starts with '-', the last of a repeated option wins, paths anywhere,
a lone `-` is a path and `--` ends the options (what follows is the CMD to hold the claims
for). What it cannot parse (help, an unknown option, a missing value, a value given to a
flag) returns None: typer then shows the help or its usual usage error.
tests/test_claim_parsing.py checks both parsers agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gitcoord.cli.claim_options import (
    BY_SPELLING,
    COMMAND,
    OPTIONS,
    PATHS,
    normalise_wait,
    split_command,
)


class _CannotParse(Exception):
    """Leave this command line to typer."""


def direct_claim_arguments(argv: Sequence[str]) -> dict[str, Any] | None:
    """run_claim's keyword arguments for `argv`, exactly as typer would pass them, or None
    when typer must parse it (help and usage errors)."""
    values: dict[str, Any] = {option.name: option.initial for option in OPTIONS}
    paths: list[str] = []
    rest, command = split_command(normalise_wait(argv))
    try:
        while rest:
            arg = rest.pop(0)
            if arg.startswith("--"):
                _long(arg, rest, values)
            elif arg.startswith("-") and arg != "-":
                _short(arg, rest, values)
            else:
                paths.append(arg)
    except _CannotParse:
        return None
    return {PATHS: paths or None, **values, COMMAND: command}


def _long(arg: str, rest: list[str], values: dict[str, Any]) -> None:
    spelling, eq, explicit = arg.partition("=")
    option = BY_SPELLING.get(spelling)
    if option is None or (eq and not option.takes_value):
        raise _CannotParse
    if not option.takes_value:
        values[option.name] = True
    elif eq:
        values[option.name] = explicit
    else:
        values[option.name] = _next(rest)


def _short(arg: str, rest: list[str], values: dict[str, Any]) -> None:
    """`-d`, `-rwhy`, `-dm read`: flags until a letter that takes a value, which takes the
    rest of the word, else the next word."""
    for at, letter in enumerate(arg[1:], start=2):
        option = BY_SPELLING.get("-" + letter)
        if option is None:
            raise _CannotParse
        if not option.takes_value:
            values[option.name] = True
            continue
        values[option.name] = arg[at:] if at < len(arg) else _next(rest)
        return


def _next(rest: list[str]) -> str:
    if not rest:
        raise _CannotParse  # "Option '-r' requires an argument."
    return rest.pop(0)
