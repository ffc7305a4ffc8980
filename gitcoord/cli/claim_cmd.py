"""`git claim` / `gitcoord claim`: list, claim, release, renew and break claims.

The typer command is built from the one declaration of the options (claim_options.py),
which the fast parser (direct.py) reads too.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any

import typer
from typer._click.globals import get_current_context

from gitcoord.cli.claim_help import typer_help
from gitcoord.cli.claim_options import (
    COMMAND,
    OPTIONS,
    PATHS,
    PATHS_HELP,
    PATHS_METAVAR,
    WAIT_FOREVER,
    ClaimOption,
)
from gitcoord.cli.claim_run import run_claim

HELP = typer_help()

__all__ = ["HELP", "WAIT_FOREVER", "claim_command", "command_for"]


def _parameter(option: ClaimOption) -> inspect.Parameter:
    if option.takes_value:
        kind: Any = str if option.default is not None else str | None
        info = typer.Option(*option.spellings, help=option.help, metavar=option.metavar)
    else:
        kind = bool
        info = typer.Option(*option.spellings, help=option.help)
    return inspect.Parameter(
        option.name,
        inspect.Parameter.KEYWORD_ONLY,
        default=option.initial,
        annotation=Annotated[kind, info],
    )


def command_for(action: Callable[..., Any]) -> Callable[..., Any]:
    """A typer command that parses the options of OPTIONS and calls `action` with them as
    keywords (run_claim's signature), and with the CMD... given after `--`, which
    main.run splits off before click parses (click would take it as paths) and passes as
    the context's `obj`; tests pass an action that records them."""

    def command(**kwargs: Any) -> Any:
        return action(**kwargs, **{COMMAND: get_current_context().obj})

    paths = inspect.Parameter(
        PATHS,
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[
            list[str] | None, typer.Argument(help=PATHS_HELP, metavar=PATHS_METAVAR)
        ],
    )
    params = [paths, *map(_parameter, OPTIONS)]
    command.__signature__ = inspect.Signature(params, return_annotation=None)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    return command


claim_command = command_for(run_claim)
