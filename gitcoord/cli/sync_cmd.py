"""`gitcoord sync-check [-- CMD...]`: is HEAD in sync with the base? Then run CMD."""

from __future__ import annotations

import subprocess
from typing import Annotated

import typer

from gitcoord.cli.context import Context
from gitcoord.core.errors import Refused, UsageError
from gitcoord.store.sync import sync_state


def sync_check_command(
    command: Annotated[
        list[str] | None, typer.Argument(help="Command to run only when in sync (after --).")
    ] = None,
) -> int:
    """Fetch the base branch; fail (exit 1) when HEAD lacks its tip. With a command, run it
    only when in sync and exit with its exit code.

    \b
    Examples:
      gitcoord sync-check
      gitcoord sync-check -- ./deploy.sh production
    """
    ctx = Context.here()
    state = sync_state(str(ctx.repo.toplevel), ctx.config)
    if state.behind:
        where = f"{state.remote}/{state.base}"
        raise Refused(
            f"HEAD is {state.behind} commit(s) behind {where}; "
            + ("not running the command" if command else "not in sync"),
            fix=f"git pull --rebase {state.remote} {state.base}",
        )
    print(f"in sync with {state.remote}/{state.base}", flush=True)
    if not command:
        return 0
    try:
        return subprocess.run(command, check=False).returncode
    except FileNotFoundError:
        raise UsageError(f"command not found: {command[0]}") from None
    except PermissionError:
        raise UsageError(f"command is not executable: {command[0]}") from None
