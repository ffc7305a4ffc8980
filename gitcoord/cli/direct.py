"""A direct route for the commonest `git claim` forms, around typer's argument parsing.

Typer 0.29 coerces every parameter that is not a flag through a pydantic TypeAdapter, and
the first one imports pydantic: ~0.15 s, more than a claim's two round trips to a remote
on a LAN. The forms agents run in loops (`git claim PATH...`, `git claim --json`,
`git claim -d PATH...`, `git claim -d --all`, `git claim --renew`) carry only paths and
on/off flags, so they call `claim_command` directly with exactly what typer would have
passed. Anything else (an option with a value, `--`, `-h`, combined or unknown flags, a
path that starts with '-') goes through typer, so help and usage errors are unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Flag spelling -> claim_command keyword (all on/off).
FLAGS = {
    "--json": "as_json",
    "-d": "delete",
    "--delete": "delete",
    "--all": "all_",
    "--renew": "renew",
}


def direct_claim_arguments(argv: Sequence[str]) -> dict[str, Any] | None:
    """claim_command's keyword arguments for `argv`, or None when typer must parse it."""
    kwargs: dict[str, Any] = {}
    paths: list[str] = []
    for arg in argv:
        if arg.startswith("-"):
            name = FLAGS.get(arg)
            if name is None:
                return None
            kwargs[name] = True
        else:
            paths.append(arg)
    if paths:
        kwargs["paths"] = paths
    return kwargs
