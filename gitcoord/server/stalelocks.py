"""Ref lock files left by a dead receive-pack, removed by pre-receive.

Git locks a ref by creating `<ref>.lock` and removes it when the transaction commits or
aborts. A receive-pack killed in between (over file:// a SIGKILL of the pushing client's
process group kills it too) leaves the file, and every later update of that ref fails
("cannot lock ref") until someone removes it: for an agent's audit-log ref that is every push
it makes. pre-receive runs before its own push locks anything, so it can clear the way.

A lock on one of the pushed refs under refs/claims/ or refs/claims-log/ is stale, and removed,
when both hold:

- it is older than `gitcoord.stalelockafter` seconds (default 60, twice the longest a live
  transaction waits for the claims lock; git holds a ref lock only while its transaction
  runs, which takes milliseconds), and
- no live transaction can own it: the claims lock's owner record (txlock.py) is absent or
  names a process that is gone. A live owner may be the transaction holding this lock, so
  the lock is then left alone (the next push looks again).

Each removal is appended to `gitcoord/audit.jsonl` and reported to the pusher. Standard
library only, and nothing at all happens unless a pushed ref has a lock file (one stat each).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from gitcoord.server.refchange import CLAIMS, RefChange
from gitcoord.server.txlock import Owner, TransactionLock, alive

LOG = "refs/claims-log/"
AUDIT_FILE = "audit.jsonl"


def lock_files(git_dir: Path, changes: Sequence[RefChange]) -> list[Path]:
    """The `<ref>.lock` files that exist for the pushed refs in gitcoord's namespaces."""
    found = []
    for ch in changes:
        if ch.ref.startswith((CLAIMS, LOG)) and ".." not in ch.ref:
            path = git_dir / f"{ch.ref}.lock"
            if path.is_file():
                found.append(path)
    return found


def break_stale_locks(
    git_dir: Path,
    state_dir: Path,
    changes: Sequence[RefChange],
    bound: Callable[[], float],
) -> list[str]:
    """Remove the stale lock files of the pushed refs; return the refs whose lock went.

    `bound` is called (it reads the server's settings) only when a lock file exists."""
    locks = lock_files(git_dir, changes)
    if not locks:
        return []
    after = bound()
    holder = TransactionLock(state_dir, Owner(os.getpid(), "")).holder()
    if holder is not None and alive(holder):
        return []
    now = time.time()
    removed = []
    records = []
    for path in locks:
        try:
            age = now - path.stat().st_mtime
        except FileNotFoundError:
            continue  # its transaction just finished
        if age < after:
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        ref = path.relative_to(git_dir).as_posix().removesuffix(".lock")
        removed.append(ref)
        records.append(
            {
                "event": "stale-lock-removed",
                "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
                "lock": f"{ref}.lock",
                "age_seconds": round(age, 1),
                "bound_seconds": after,
                "claims_lock_owner": None if holder is None else holder.pid,
                "gl_user": os.environ.get("GL_USER"),
            }
        )
        print(
            f"gitcoord: removed {ref}.lock, a lock file left {age:.0f}s ago by a git process "
            "that is gone (logged in the server's gitcoord/audit.jsonl)",
            file=sys.stderr,
        )
    if records:
        state_dir.mkdir(exist_ok=True)
        with open(state_dir / AUDIT_FILE, "a", encoding="utf-8") as fh:
            fh.write("".join(json.dumps(r, sort_keys=True) + "\n" for r in records))
    return removed
