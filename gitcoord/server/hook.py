"""The server hooks' entry point, exec'd by the shims `gitcoord server install` writes:

    python -P -m gitcoord.server.hook pre-receive
    python -P -m gitcoord.server.hook reference-transaction STATE

Lean on purpose: no typer, no pygit2; git is read with for-each-ref and cat-file --batch.
Both hooks read `<old> <new> <ref>` lines on stdin (githooks(5)). pre-receive gives the
clean refusals (its stderr reaches the pusher as `remote:` lines) but runs before any ref is
locked, so two pushes can both pass it. reference-transaction "prepared" runs with the
transaction's ref locks held: it takes the repository-wide claims lock (txlock.py), checks
the claim rules again against the refs as they are now, and keeps the lock until the
"committed" or "aborted" state of the same transaction. Exit 1 refuses.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from gitcoord import timeutil
from gitcoord.claim import MAX_OBJECT_BYTES, Claim
from gitcoord.errors import GitcoordError
from gitcoord.refnames import CLAIMS, LOG
from gitcoord.server import gitdata
from gitcoord.server.gitdata import RefChange
from gitcoord.server.policy import (
    BRANCHES,
    Pusher,
    Refusal,
    check_claimed_paths,
    check_claims,
    check_logs,
    check_protected,
    claims_after,
)
from gitcoord.server.settings import read_settings
from gitcoord.server.txlock import LockTimeout, Owner, TransactionLock

LOCK_TIMEOUT = 30.0
STATE_DIR = "gitcoord"
AUDIT_FILE = "audit.jsonl"


def _git_dir() -> Path:
    # Hooks run inside the repository with GIT_DIR set (to "." for a bare repository).
    return Path(os.environ.get("GIT_DIR") or ".").resolve()


def _pusher(git_dir: Path) -> Pusher:
    return Pusher(os.environ.get("GL_USER") or None, read_settings(git_dir))


def _claim_checks(
    git_dir: Path, changes: Sequence[RefChange], pusher: Pusher, now: float, skew: float
) -> tuple[list[Refusal], dict[str, Claim]]:
    writes = {c.ref: c.new for c in changes if c.ref.startswith(CLAIMS) and not c.deletes}
    current, pushed = gitdata.claims_for(git_dir, gitdata.current_refs(git_dir, CLAIMS), writes)
    refusals = check_claims(changes, current, pushed, pusher, now, skew)
    after = claims_after(changes, current, pushed)
    return refusals, after


def pre_receive(git_dir: Path, changes: Sequence[RefChange]) -> list[Refusal]:
    pusher = _pusher(git_dir)
    now = timeutil.now()
    refusals: list[Refusal] = []
    branch_changes = [c for c in changes if c.ref.startswith(BRANCHES)]
    claim_changes = [c for c in changes if c.ref.startswith(CLAIMS)]
    log_changes = [c for c in changes if c.ref.startswith(LOG) and not c.deletes]

    def ancestor(old: str, new: str) -> bool:
        return gitdata.is_ancestor(git_dir, old, new)

    if any(c.ref.startswith(LOG) for c in changes):
        infos = gitdata.object_info(git_dir, (c.new for c in log_changes))
        small = [i.oid for i in infos.values() if i.size <= MAX_OBJECT_BYTES]
        raw = gitdata.read_objects(git_dir, small)
        refusals += check_logs(changes, infos, raw, pusher, ancestor)
    if not (claim_changes or branch_changes):
        return refusals
    team = gitdata.team_config(git_dir)
    skew = float(team.claims.clock_skew)
    claim_refusals, after = _claim_checks(git_dir, changes, pusher, now, skew)
    refusals += claim_refusals
    if branch_changes:
        patterns = pusher.settings.protected or team.sync_protected
        refusals += check_protected(branch_changes, patterns, ancestor)
        live = [c for c in after.values() if not c.is_expired(now, skew)]
        for ch in branch_changes:
            if ch.deletes or not live:
                continue
            commits = gitdata.new_commits(git_dir, ch.new)
            refusals += check_claimed_paths(ch.ref, commits, live, pusher, now)
    return refusals


def _claim_writes(changes: Sequence[RefChange]) -> bool:
    return any(c.ref.startswith(CLAIMS) and not c.deletes for c in changes)


def reference_transaction(git_dir: Path, state: str, changes: Sequence[RefChange]) -> int:
    lock = TransactionLock(git_dir / STATE_DIR, Owner.of(os.getppid()))
    if state == "prepared":
        if not _claim_writes(changes):
            return 0
        try:
            lock.acquire(LOCK_TIMEOUT)
        except LockTimeout as exc:
            holder = exc.holder.pid if exc.holder else "?"
            _emit(
                [
                    Refusal(
                        "refs/claims/",
                        f"the server's claims lock is still held by pid {holder} "
                        f"after {exc.waited:.0f}s",
                        "retry the push; if it persists, ask the server admin to look at "
                        f"{lock.path}",
                    )
                ]
            )
            return 1
        refused = True
        try:
            pusher = _pusher(git_dir)
            skew = float(gitdata.team_config(git_dir).claims.clock_skew)
            refusals, _ = _claim_checks(git_dir, changes, pusher, timeutil.now(), skew)
            refused = bool(refusals)
            _emit(refusals)
        finally:
            if refused:
                lock.release()  # git runs "aborted" next; the lock is free already
        return 1 if refusals else 0
    if state in ("committed", "aborted"):
        if _claim_writes(changes):
            lock.release()
        if state == "committed":
            _record_breaks(git_dir, changes)
    return 0


def _record_breaks(git_dir: Path, changes: Sequence[RefChange]) -> None:
    """Append each claim an authenticated user deleted in another agent's name."""
    gl_user = os.environ.get("GL_USER")
    # A packed-refs sub-transaction repeats deletions as 0 -> 0: skip those.
    deleted = {
        c.ref: c.old
        for c in changes
        if c.ref.startswith(CLAIMS) and c.deletes and not gitdata.is_zero(c.old)
    }
    if not gl_user or not deleted:
        return
    pusher = _pusher(git_dir)
    at = timeutil.now()
    lines = []
    for ref, claim in gitdata.claims_for(git_dir, deleted)[0].items():
        if isinstance(claim, Claim) and not pusher.owns(claim.agent):
            record = {
                "event": "break",
                "at": timeutil.to_iso(at),
                "gl_user": gl_user,
                "admin": pusher.admin,
                "ref": ref,
                "claim": claim.public_json(),
                "expired": claim.is_expired(at),
            }
            lines.append(json.dumps(record, sort_keys=True) + "\n")
    if lines:
        (git_dir / STATE_DIR).mkdir(exist_ok=True)
        with open(git_dir / STATE_DIR / AUDIT_FILE, "a", encoding="utf-8") as fh:
            fh.write("".join(lines))


def _emit(refusals: Sequence[Refusal]) -> None:
    for r in refusals:
        print(r.render(), file=sys.stderr)
    sys.stderr.flush()


def main(argv: Sequence[str]) -> int:
    if not argv or argv[0] not in ("pre-receive", "reference-transaction"):
        print("usage: python -m gitcoord.server.hook pre-receive|reference-transaction STATE")
        return 2
    changes = gitdata.parse_changes(sys.stdin.read())
    git_dir = _git_dir()
    try:
        if argv[0] == "pre-receive":
            refusals = pre_receive(git_dir, changes)
            _emit(refusals)
            return 1 if refusals else 0
        return reference_transaction(git_dir, argv[1] if len(argv) > 1 else "", changes)
    except GitcoordError as exc:
        # Fail closed: a hook that cannot read the repository refuses rather than guesses.
        print(
            f"gitcoord: the server hook could not check this push: {exc.message}", file=sys.stderr
        )
        return 1
    except Exception as exc:
        log = git_dir / STATE_DIR / "hook-errors.log"
        log.parent.mkdir(exist_ok=True)
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{timeutil.to_iso(timeutil.now())} {' '.join(argv)}\n")
            traceback.print_exc(file=fh)
        print(
            f"gitcoord: internal error in the server hook ({exc!r}); refusing to be safe\n"
            f"  fix: ask the server admin to look at {log}",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
