"""`gitcoord sync-check [--json] [-- CMD...]`: is HEAD in sync with the base? Then run CMD."""

from __future__ import annotations

import subprocess
import sys
from typing import Annotated, Any

import typer

from gitcoord.cli.context import Context, emit_json
from gitcoord.core.errors import Refused, UsageError
from gitcoord.store.sync import SyncState, sync_state


def sync_check_command(
    command: Annotated[
        list[str] | None, typer.Argument(help="Command to run only when in sync (after --).")
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Machine-readable output (the command's own output goes to stderr)."
        ),
    ] = False,
) -> int:
    """Fetch the base branch; fail (exit 1) when HEAD lacks its tip. With a command, run it
    only when in sync and exit with its exit code.

    \b
    Examples:
      gitcoord sync-check
      gitcoord sync-check -- ./deploy.sh production
      gitcoord sync-check --json -- ./deploy.sh production
    """
    ctx = Context.here()
    state = sync_state(str(ctx.repo.toplevel), ctx.config)
    report: dict[str, Any] = {
        "in_sync": not state.behind,
        "remote": state.remote,
        "base": state.base,
        "behind": state.behind,
        "command": command or None,
        "ran": False,
        "exit_code": None,
    }
    if state.behind:
        refusal = _behind(state, bool(command))
        if not as_json:
            raise refusal
        # One JSON object on stdout (the state and the refusal), the message on stderr.
        print(refusal.render(), file=sys.stderr)
        emit_json({**report, "error": {"message": refusal.message, "fix": refusal.fix}})
        return int(refusal.exit_code)
    if not as_json:
        print(f"in sync with {state.remote}/{state.base}", flush=True)
    if not command:
        if as_json:
            emit_json(report)
        return 0
    # Under --json stdout carries the one JSON object: the command's output goes to stderr.
    code = _run(command, sys.stderr if as_json else None)
    if as_json:
        emit_json({**report, "ran": True, "exit_code": code})
    return code


def _behind(state: SyncState, with_command: bool) -> Refused:
    where = f"{state.remote}/{state.base}"
    return Refused(
        f"HEAD is {state.behind} commit(s) behind {where}; "
        + ("not running the command" if with_command else "not in sync"),
        fix=f"git pull --rebase {state.remote} {state.base}",
    )


def _run(command: list[str], stdout: Any) -> int:
    try:
        return subprocess.run(command, check=False, stdout=stdout).returncode
    except FileNotFoundError:
        raise UsageError(f"command not found: {command[0]}") from None
    except PermissionError:
        raise UsageError(f"command is not executable: {command[0]}") from None
