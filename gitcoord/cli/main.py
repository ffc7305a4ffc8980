"""The typer app behind `gitcoord` and `git claim` (entry.py starts the lean forms first)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

import typer
from typer._click import Context
from typer._click.exceptions import NoArgsIsHelpError
from typer._click.exceptions import UsageError as ClickUsageError

from gitcoord import __version__
from gitcoord.cli.approve_cmd import approve_command
from gitcoord.cli.ci_cmd import ci_command
from gitcoord.cli.claim_cmd import HELP as CLAIM_HELP
from gitcoord.cli.claim_cmd import claim_command
from gitcoord.cli.claim_options import normalise_wait, split_command
from gitcoord.cli.gc_cmd import gc_command
from gitcoord.cli.guard_cmd import guard_command
from gitcoord.cli.helpformat import PlainCommand, PlainGroup, usage_error
from gitcoord.cli.hooks_cmd import hooks_app
from gitcoord.cli.init_cmd import init_command
from gitcoord.cli.log_cmd import log_command
from gitcoord.cli.outcome import exit_code, interrupted
from gitcoord.cli.rules_cmd import rules_command
from gitcoord.cli.server_cmd import server_app
from gitcoord.cli.status_cmd import status_command
from gitcoord.cli.sync_cmd import sync_check_command
from gitcoord.cli.task_cmd import task_app
from gitcoord.cli.watch_cmd import watch_command
from gitcoord.cli.worker_cmd import worker_app
from gitcoord.core.errors import ExitCode

CONTEXT = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    name="gitcoord",
    cls=PlainGroup,
    help="""A shared git remote as the coordination service for agents and humans.

Run `gitcoord COMMAND -h` for its options and examples; `git claim` is `gitcoord claim`.

\b
Examples:
  gitcoord init                  set up gitcoord.toml, RULES.md and the hooks
  git claim src/api.py -r "fix"  claim a file before changing it
  gitcoord status                who I am, my claims and others'
""",
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


# Each command's one-line summary in `gitcoord -h` (its own help says more).
COMMANDS: tuple[tuple[str, Callable[..., object], str], ...] = (
    ("claim", claim_command, "List, claim, release, renew or break claims on paths."),
    ("status", status_command, "Show who I am, my claims and others' live claims."),
    ("log", log_command, "Show the audit trail of claims on the remote."),
    ("init", init_command, "Set up gitcoord.toml, RULES.md, the hooks and a CI job."),
    ("rules", rules_command, "Show the team's rules file; acknowledge it with --ack."),
    ("approve", approve_command, "Approve a staged change to approve-tier paths (humans)."),
    ("sync-check", sync_check_command, "Deploy only a clean, pushed checkout with the base tip."),
    ("ci", ci_command, "Check a branch's commits as the hooks would (for CI)."),
    ("guard", guard_command, "Answer an agent harness's hook: the edit-time guard."),
    ("watch", watch_command, "Live view: claims, tasks, pools, expiring leases, latest events."),
    ("gc", gc_command, "Remove expired claims and dead refs from the remote (sweep)."),
)
for _name, _function, _summary in COMMANDS:
    app.command(
        _name,
        cls=PlainCommand,
        short_help=_summary,
        help=CLAIM_HELP if _name == "claim" else None,
        context_settings=CONTEXT,
    )(_function)
app.add_typer(hooks_app, name="hooks")
app.add_typer(server_app, name="server")
app.add_typer(task_app, name="task")
app.add_typer(worker_app, name="worker")


def claim_typer(command: Callable[..., None]) -> typer.Typer:
    """The `git claim` app around `command` (claim_cmd.command_for): help, usage errors."""
    claim = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
    claim.command(cls=PlainCommand, help=CLAIM_HELP, context_settings=CONTEXT)(command)
    return claim


claim_app = claim_typer(claim_command)


def _claim_argv(argv: Sequence[str], prog: str) -> tuple[list[str], list[str] | None]:
    """`--wait 3s` made explicit (claim_options.normalise_wait) for `git claim`,
    `gitcoord claim` and `gitcoord task take` only: other commands' arguments
    (`sync-check -- cmd --wait`) are not such options. For a claim, also the CMD... after
    its `--` (split_command), which click would take as more paths; it reaches the
    command as the context's `obj` (claim_cmd.command_for)."""
    if prog == "git claim":
        return split_command(normalise_wait(argv))
    if argv[:1] == ["claim"]:
        before, command = split_command(normalise_wait(argv[1:]))
        return ["claim", *before], command
    if argv[:2] == ["task", "take"]:
        return ["task", "take", *normalise_wait(argv[2:])], None
    return list(argv), None


def _context_for(command: typer.Typer, argv: Sequence[str], prog: str) -> Context:
    """The context of the (sub)command the leading words of `argv` name: `gitcoord hooks
    install` for `gitcoord hooks install --bogus`."""
    words = [prog]
    found = typer.main.get_command(command)
    for arg in argv:
        sub = getattr(found, "commands", {}).get(arg)
        if sub is None:
            break
        words.append(arg)
        found = sub
    return Context(found, info_name=" ".join(words))


def run(command: typer.Typer, argv: Sequence[str], prog: str) -> int:
    """Parse `argv` with typer and run it. Exit codes come from core/errors.py (through
    outcome.exit_code), but for help (0); a usage error is reported like every other
    error (helpformat.usage_error), exit 2."""

    def invoke() -> int:
        try:
            args, words = _claim_argv(argv, prog)
            result = command(args=args, prog_name=prog, standalone_mode=False, obj=words)
        except typer.Exit as exc:
            result = exc.exit_code
        except typer.Abort:
            raise interrupted() or KeyboardInterrupt() from None
        except NoArgsIsHelpError as exc:
            exc.show()  # `gitcoord` or `gitcoord hooks` alone: the help, on stderr
            return int(ExitCode.USAGE)
        except ClickUsageError as exc:
            raise usage_error(exc, _context_for(command, argv, prog)) from None
        except typer.TyperException as exc:
            print(f"gitcoord: {exc.format_message()}", file=sys.stderr)
            return int(ExitCode.USAGE)
        # typer turns SIGINT and SIGTERM (our Terminated) into Abort or a plain 130: raise
        # the one received again, so outcome.exit_code gives its message and code (130, 143).
        caught = interrupted()
        if caught is not None:
            raise caught
        return int(result) if isinstance(result, int) else 0

    return exit_code(invoke, argv)
