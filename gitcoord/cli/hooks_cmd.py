"""`gitcoord hooks install|uninstall`: the native git hook shims."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gitcoord.cli.context import Context, emit_json
from gitcoord.cli.helpformat import PlainCommand, PlainGroup
from gitcoord.hooks.install import Action, hooks_dir, install, uninstall

hooks_app = typer.Typer(
    cls=PlainGroup,
    help="""Install or remove gitcoord's git hooks (pre-commit, pre-push, commit-msg).

\b
Example:
  gitcoord hooks install
""",
    short_help="Install or remove gitcoord's git hooks in this clone.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

Json = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _report(directory: Path, actions: list[Action], as_json: bool) -> None:
    if as_json:
        emit_json(
            {
                "hooks_dir": str(directory),
                "hooks": [
                    {"hook": a.hook, "path": str(directory / a.hook), "action": a.what}
                    for a in actions
                ],
            }
        )
        return
    print(f"hooks directory: {directory}")
    for action in actions:
        print(f"hook {action}")


@hooks_app.command("install", cls=PlainCommand, short_help="Install the hook shims in this clone.")
def install_command(as_json: Json = False) -> None:
    """Install the hook shims (honours core.hooksPath; an existing hook is kept and chained).

    \b
    Examples:
      gitcoord hooks install
      gitcoord hooks install --json
    """
    top = Context.here().repo.toplevel
    _report(hooks_dir(top), install(top), as_json)


@hooks_app.command(
    "uninstall", cls=PlainCommand, short_help="Remove the hook shims, restoring chained hooks."
)
def uninstall_command(as_json: Json = False) -> None:
    """Remove gitcoord's hook shims and restore any hook they chained.

    \b
    Example:
      gitcoord hooks uninstall
    """
    top = Context.here().repo.toplevel
    _report(hooks_dir(top), uninstall(top), as_json)
