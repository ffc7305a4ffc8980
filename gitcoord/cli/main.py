"""The typer app behind `gitcoord` and `git claim` (entry.py starts the lean forms first)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

import typer

from gitcoord import __version__
from gitcoord.cli.approve_cmd import approve_command
from gitcoord.cli.ci_cmd import ci_command
from gitcoord.cli.claim_cmd import HELP as CLAIM_HELP
from gitcoord.cli.claim_cmd import claim_command
from gitcoord.cli.claim_options import normalise_wait
from gitcoord.cli.hooks_cmd import hooks_app
from gitcoord.cli.init_cmd import init_command
from gitcoord.cli.log_cmd import log_command
from gitcoord.cli.outcome import exit_code, interrupted
from gitcoord.cli.rules_cmd import rules_command
from gitcoord.cli.server_cmd import server_app
from gitcoord.cli.status_cmd import status_command
from gitcoord.cli.sync_cmd import sync_check_command
from gitcoord.core.errors import ExitCode

CONTEXT = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    name="gitcoord",
    help="A shared git remote as the coordination service for agents and humans.\n\n"
    "Run `gitcoord COMMAND --help` for examples.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=CONTEXT,
)


def _version(value: bool) -> None:
    if value:
        print(f"gitcoord {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    pass


app.command("claim", help=CLAIM_HELP, context_settings=CONTEXT)(claim_command)
app.command("status", context_settings=CONTEXT)(status_command)
app.command("log", context_settings=CONTEXT)(log_command)
app.command("init", context_settings=CONTEXT)(init_command)
app.add_typer(hooks_app, name="hooks", context_settings=CONTEXT)
app.command("rules", context_settings=CONTEXT)(rules_command)
app.command("approve", context_settings=CONTEXT)(approve_command)
app.command("sync-check", context_settings=CONTEXT)(sync_check_command)
app.command("ci", context_settings=CONTEXT)(ci_command)
app.add_typer(server_app, name="server")


def claim_typer(command: Callable[..., None]) -> typer.Typer:
    """The `git claim` app around `command` (claim_cmd.command_for): help, usage errors."""
    claim = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
    claim.command(help=CLAIM_HELP, context_settings=CONTEXT)(command)
    return claim


claim_app = claim_typer(claim_command)


def run(command: typer.Typer, argv: Sequence[str], prog: str) -> int:
    """Parse `argv` with typer and run it. Exit codes come from core/errors.py (through
    outcome.exit_code), but for typer's own exits: help (0) and click's usage errors (2,
    shown in click's words)."""

    def invoke() -> int:
        try:
            result = command(args=normalise_wait(argv), prog_name=prog, standalone_mode=False)
        except typer.Exit as exc:
            result = exc.exit_code
        except typer.Abort:
            raise interrupted() or KeyboardInterrupt() from None
        except typer.TyperException as exc:
            show = getattr(exc, "show", None)
            if callable(show):
                show()
            else:
                print(f"gitcoord: {exc.format_message()}", file=sys.stderr)
            return int(ExitCode.USAGE)
        # typer turns SIGINT and SIGTERM (our Terminated) into Abort or a plain 130: raise
        # the one received again, so outcome.exit_code gives its message and code (130, 143).
        caught = interrupted()
        if caught is not None:
            raise caught
        return int(result) if isinstance(result, int) else 0

    return exit_code(invoke, argv)
