"""`gitcoord hooks install|uninstall`: the native git hook shims."""

from __future__ import annotations

import typer

from gitcoord.cli.context import Context
from gitcoord.hooks.install import hooks_dir, install, uninstall

hooks_app = typer.Typer(
    help="Install or remove gitcoord's git hooks (pre-commit, pre-push, commit-msg).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@hooks_app.command("install")
def install_command() -> None:
    """Install the hook shims (honours core.hooksPath; an existing hook is kept and chained).

    \b
    Example:
      gitcoord hooks install
    """
    top = Context.here().repo.toplevel
    print(f"hooks directory: {hooks_dir(top)}")
    for action in install(top):
        print(f"hook {action}")


@hooks_app.command("uninstall")
def uninstall_command() -> None:
    """Remove gitcoord's hook shims and restore any hook they chained.

    \b
    Example:
      gitcoord hooks uninstall
    """
    top = Context.here().repo.toplevel
    for action in uninstall(top):
        print(f"hook {action}")
