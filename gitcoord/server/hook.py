"""The server hooks' entry point, exec'd by the shims `gitcoord server install` writes:

    python -S -P -c '...; console_main()' pre-receive
    python -S -P -c '...; console_main()' reference-transaction STATE

(`python -m gitcoord.server.hook HOOK ...` does the same.)

Lean on purpose: no typer, no pygit2; git is read with for-each-ref and cat-file --batch,
and the light paths (state "committed"/"aborted", transactions that write no claim) import
nothing beyond the standard library, refchange.py and txlock.py.

Both hooks read `<old> <new> <ref>` lines on stdin (githooks(5)). pre-receive gives the
clean refusals (its stderr reaches the pusher as `remote:` lines) but runs before any ref is
locked, so two pushes can both pass it. reference-transaction "prepared" runs with the
transaction's ref locks held: it takes the repository-wide claims lock (txlock.py), checks
the claim rules again against the refs as they are now, and keeps the lock until the
"committed" or "aborted" state of the same transaction. Exit 1 refuses.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from gitcoord.server.refchange import (
    BRANCHES,
    CLAIMS,
    RELEASING_ENV,
    RefChange,
    claim_writes,
    parse_changes,
)
from gitcoord.server.txlock import LockTimeout, Owner, TransactionLock

LOCK_TIMEOUT = 30.0
STATE_DIR = "gitcoord"


def _git_dir() -> Path:
    # Hooks run inside the repository with GIT_DIR set (to "." for a bare repository).
    return Path(os.environ.get("GIT_DIR") or ".").resolve()


def reference_transaction(git_dir: Path, state: str, changes: list[RefChange]) -> int:
    # The transaction's git process (the hook's parent) owns the lock across its states.
    lock = TransactionLock(git_dir / STATE_DIR, Owner.of(os.getppid()))
    if state in ("committed", "aborted"):
        if claim_writes(changes):
            lock.release()
        if state != "committed" or os.environ.get(RELEASING_ENV):
            return 0  # (the server's own release on land is no break, and lands nothing)
        deletes_claims = any(c.ref.startswith(CLAIMS) and c.deletes for c in changes)
        if deletes_claims and os.environ.get("GL_USER"):
            from gitcoord.server import checks

            checks.record_breaks(git_dir, git_dir / STATE_DIR, changes)
        if any(c.ref.startswith(BRANCHES) and not c.deletes for c in changes):
            _release_landed(git_dir, changes)
        return 0
    if state != "prepared" or not claim_writes(changes):
        return 0
    from gitcoord.server import checks
    from gitcoord.server.policy import Refusal

    try:
        lock.acquire(LOCK_TIMEOUT)
    except LockTimeout as exc:
        holder = exc.holder.pid if exc.holder else "?"
        checks.emit(
            [
                Refusal(
                    CLAIMS,
                    f"the server's claims lock is still held by pid {holder} "
                    f"after {exc.waited:.0f}s",
                    f"retry the push; if it persists, ask the server admin to look at {lock.path}",
                )
            ]
        )
        return 1
    refusals = None
    try:
        refusals = checks.prepared(git_dir, changes)
        checks.emit(refusals)
    finally:
        if refusals is None or refusals:
            lock.release()  # refused (or crashed): git aborts next; free the lock now
    return 1 if refusals else 0


def _release_landed(git_dir: Path, changes: list[RefChange]) -> None:
    """[claims] release_on_land (landing.py). The update has happened: a failure here is
    told and logged, never a refusal."""
    try:
        from gitcoord.server.landing import release_landed

        release_landed(git_dir, changes)
    except Exception as exc:
        log = _log_crash(git_dir, ["reference-transaction", "committed"])
        print(
            f"gitcoord: warning: could not release the claims whose work landed ({exc!r}); "
            f"the push stands\n  fix: ask the server admin to look at {log}",
            file=sys.stderr,
        )


def _log_crash(git_dir: Path, argv: Sequence[str]) -> Path:
    import traceback  # only here: importing it costs more than a light hook run

    log = git_dir / STATE_DIR / "hook-errors.log"
    log.parent.mkdir(exist_ok=True)
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {' '.join(argv)}\n")
        traceback.print_exc(file=fh)
    return log


def _stale_lock_after(git_dir: Path) -> float:
    from gitcoord.server.settings import read_settings

    return read_settings(git_dir).stale_lock_after


def _run(argv: Sequence[str], git_dir: Path) -> int:
    changes = parse_changes(sys.stdin.read())
    if argv[0] == "reference-transaction":
        return reference_transaction(git_dir, argv[1] if len(argv) > 1 else "", changes)
    from gitcoord.server.stalelocks import break_stale_locks

    break_stale_locks(git_dir, git_dir / STATE_DIR, changes, lambda: _stale_lock_after(git_dir))
    from gitcoord.server import checks

    refusals, warnings = checks.pre_receive(git_dir, changes)
    checks.emit(refusals, warnings)
    return 1 if refusals else 0


def main(argv: Sequence[str]) -> int:
    if not argv or argv[0] not in ("pre-receive", "reference-transaction"):
        print("usage: python -m gitcoord.server.hook pre-receive|reference-transaction STATE")
        return 2
    git_dir = _git_dir()
    try:
        return _run(argv, git_dir)
    except Exception as exc:
        # Fail closed: a hook that cannot check a push refuses it rather than guess.
        from gitcoord.core.errors import GitcoordError

        if isinstance(exc, GitcoordError):
            print(
                f"gitcoord: the server hook could not check this push: {exc.message}",
                file=sys.stderr,
            )
            return 1
        log = _log_crash(git_dir, argv)
        print(
            f"gitcoord: internal error in the server hook ({exc!r}); refusing to be safe\n"
            f"  fix: ask the server admin to look at {log}",
            file=sys.stderr,
        )
        return 1


def console_main() -> None:
    # Run as `python -c` by the shims: the hook name and state follow in sys.argv.
    sys.exit(main(sys.argv[1:]))


if __name__ == "__main__":
    console_main()
