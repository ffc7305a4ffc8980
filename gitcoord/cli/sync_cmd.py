"""`gitcoord sync-check [--json] [--allow-dirty] [--allow-unpushed] [-- CMD...]`: is this
checkout what the remote has (the base tip, its commits pushed, a clean tree)? Then run CMD."""

from __future__ import annotations

import signal
import sys
from typing import IO, Annotated, Any

import typer

from gitcoord.cli import user_command
from gitcoord.cli.context import Context, emit_json
from gitcoord.core.errors import NotInSync
from gitcoord.core.textsafe import printable
from gitcoord.git.worktree_state import Dirty, dirty_paths, unpushed_count
from gitcoord.store.sync import SyncState, sync_state

SHOWN = 5  # dirty paths a refusal names
LISTED = 100  # dirty paths --json lists (dirty_count has them all)


def sync_check_command(
    command: Annotated[
        list[str] | None, typer.Argument(help="Command to run only when in sync (after --).")
    ] = None,
    allow_dirty: Annotated[
        bool,
        typer.Option(
            "--allow-dirty",
            help="Do not refuse uncommitted changes and untracked files (they are deployed).",
        ),
    ] = False,
    allow_unpushed: Annotated[
        bool,
        typer.Option("--allow-unpushed", help="Do not refuse commits the remote lacks."),
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Machine-readable output (the command's own output goes to stderr)."
        ),
    ] = False,
) -> int:
    """Fetch the base branch; refuse (exit 75) when HEAD lacks its tip, when HEAD has
    commits no branch of the remote has (--allow-unpushed allows them), or when the working
    tree has uncommitted changes or untracked files that are not ignored (--allow-dirty
    allows them). Every reason is named with its fix. With a command: run it only when in
    sync and exit with its exit status (127 when not found, 126 when not executable,
    128+N when killed by signal N). 75 is sync-check's own code; should the command itself
    exit 75, --json's "ran" tells the two apart.

    \b
    Examples:
      gitcoord sync-check
      gitcoord sync-check -- ./deploy.sh production
      gitcoord sync-check --allow-dirty -- make deploy   # build output in the tree
      gitcoord sync-check --json -- ./deploy.sh production
    """
    ctx = Context.here()
    cwd = str(ctx.repo.toplevel)
    state = sync_state(cwd, ctx.config)
    dirty = dirty_paths(cwd, LISTED)
    unpushed = unpushed_count(cwd, state.remote)
    report = _report(state, dirty, unpushed, command)
    reasons = _reasons(state, None if allow_dirty else dirty, 0 if allow_unpushed else unpushed)
    if reasons:
        refusal = NotInSync(reasons, "not running the command" if command else "not in sync")
        if not as_json:
            raise refusal
        # One JSON object on stdout (the state and the refusal), the message on stderr.
        print(refusal.render(), file=sys.stderr)
        emit_json({**report, "in_sync": False, "error": _as_data(refusal)})
        return int(refusal.exit_code)
    if not as_json:
        print(f"in sync with {state.remote}/{state.base}{_allowed(dirty, unpushed)}", flush=True)
    if not command:
        if as_json:
            emit_json(report)
        return 0
    # Under --json stdout carries the one JSON object: the command's output goes to stderr.
    ran, code = run_command(command, sys.stderr if as_json else None)
    if as_json:
        emit_json({**report, "ran": ran, "exit_code": code})
    return code


def _report(
    state: SyncState, dirty: Dirty, unpushed: int, command: list[str] | None
) -> dict[str, Any]:
    return {
        "in_sync": True,
        "remote": state.remote,
        "base": state.base,
        "behind": state.behind,
        "unpushed": unpushed,
        "dirty": dirty.paths,
        "dirty_count": dirty.total,
        "command": command or None,
        "ran": False,
        "exit_code": None,
    }


def _allowed(dirty: Dirty, unpushed: int) -> str:
    """What an --allow-* flag let through: "in sync" is said with it, never instead of it."""
    parts = [f"{dirty.total} uncommitted change(s)"] if dirty.total else []
    parts += [f"{unpushed} unpushed commit(s)"] if unpushed else []
    return f" (allowed: {', '.join(parts)})" if parts else ""


def _reasons(state: SyncState, dirty: Dirty | None, unpushed: int) -> list[tuple[str, str]]:
    """Why the checkout is not in sync, each with its fix, in the order to fix them:
    commit (pull --rebase refuses a dirty tree), pull, push."""
    where = f"{state.remote}/{state.base}"
    out = []
    if dirty and dirty.total:
        shown = ", ".join(printable(path) for path in dirty.paths[:SHOWN])
        more = f" and {dirty.total - SHOWN} more" if dirty.total > SHOWN else ""
        out.append(
            (
                f"the working tree has {dirty.total} uncommitted change(s): {shown}{more}",
                "commit them (or git stash -u, or add them to .gitignore)",
            )
        )
    if state.behind:
        out.append(
            (
                f"HEAD is {state.behind} commit(s) behind {where}",
                f"git pull --rebase {state.remote} {state.base}",
            )
        )
    if unpushed:
        out.append((f"HEAD has {unpushed} commit(s) not pushed to {state.remote}", "git push"))
    return out


def _as_data(refusal: NotInSync) -> dict[str, Any]:
    return {
        "message": refusal.message,
        "fix": refusal.fix,
        "exit_code": int(refusal.exit_code),
        "reasons": [{"message": what, "fix": fix} for what, fix in refusal.reasons],
    }


def run_command(command: list[str], stdout: IO[str] | None) -> tuple[bool, int]:
    """Run the user's command: whether it started, and its exit status as a shell gives
    it (cli/user_command.py).

    While it runs, SIGINT is left to it (a terminal sends it to the whole foreground group,
    and the command decides what an interrupt means) and SIGTERM is passed on to it (a
    supervisor often signals only the process it started): either way its status is ours.
    """
    proc = user_command.start(command, stdout=stdout)
    if isinstance(proc, int):
        return False, proc
    previous = (
        signal.signal(signal.SIGINT, signal.SIG_IGN),
        signal.signal(signal.SIGTERM, lambda signum, frame: proc.send_signal(signum)),
    )
    try:
        code = user_command.status(proc.wait())
    finally:
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])
    return True, code
