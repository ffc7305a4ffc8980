"""Prefix fetches into this clone's mirror refs, serialized per clone, retried past local
ref-lock races (pushes and the shared failure wording: git/transport.py)."""

from __future__ import annotations

import os
import re
import shlex
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from gitcoord.core.errors import CannotVerify
from gitcoord.git.objects import delete_refs
from gitcoord.git.process import GitResult, GitTimedOut, run_git_while
from gitcoord.git.transport import leftover_error, timed_out_error, unreachable

FETCH = (
    "-c",
    "protocol.version=2",
    "-c",
    "advice.fetchShowForcedUpdates=false",
    "fetch",
    "--no-tags",
    "--prune",
    "--quiet",
    "--no-write-fetch-head",
    "--no-auto-maintenance",
    "--no-recurse-submodules",
    "--no-show-forced-updates",
)


def fetch(
    cwd: str,
    remote: str,
    refspecs: Sequence[str],
    meanwhile: Callable[[], None] | None = None,
    lock: Path | None = None,
    timeout: float | None = None,
) -> None:
    """A prefix fetch (protocol v2 sends ref-prefixes); raises CannotVerify when unreachable.

    `meanwhile` runs in this process while the first attempt's git works: local work that
    does not depend on what the fetch brings (loading a cache), off the wall-clock path.
    `lock`: a file whose flock serializes the fetches of every session in this clone (they
    all rewrite the same mirror refs). Held only while git fetches; the kernel drops it if
    the process dies. A local ref-lock race that still happens (a push of another session
    updating its mirrored log ref, a leftover lock file) is retried, never reported as an
    unreachable remote. `timeout` (seconds) bounds each attempt's git; past it, git is
    stopped and CannotVerify says the remote timed out. A glob refspec matching nothing
    fetches nothing; so does an exact one (`+SRC:DST`, the freshness check's base branch)
    whose SRC the remote lacks: it would fail the whole fetch, so it is left out (its DST
    deleted: it would name what the remote no longer has) and the fetch made again.
    """
    wanted = list(refspecs)
    started = time.monotonic()
    attempt = 0
    while wanted:  # none: a bare `git fetch REMOTE` would fetch its defaults
        with _serialized(lock):
            first = meanwhile if attempt == 0 else None
            try:
                args = [*FETCH, remote, *wanted]
                res = run_git_while(args, cwd=cwd, meanwhile=first, timeout=timeout)
            except GitTimedOut as exc:
                raise timed_out_error(cwd, remote, exc.seconds) from None
        if res.returncode == 0:
            return
        attempt += 1
        lacking = _lacking(res, wanted)
        if lacking is not None:
            wanted.remove(lacking)
            delete_refs(cwd, [lacking.split(":", 1)[1]])
            continue
        if not _local_race(res, cwd, remote):
            raise unreachable(res, remote)
        if time.monotonic() - started > MIRROR_RACE_PATIENCE:
            raise CannotVerify(
                f"the fetch from {remote!r} kept meeting other git processes updating this "
                f"clone's mirror refs (refs/gitcoord/) for {MIRROR_RACE_PATIENCE:.0f}s: "
                + " / ".join(res.err.strip().splitlines()[-2:]),
                fix="retry; if it persists, look for a git process stuck in this clone",
            )
        time.sleep(min(0.01 * attempt, 0.1))


def _lacking(result: GitResult, refspecs: Sequence[str]) -> str | None:
    """The exact refspec whose source the remote lacks, if that failed the fetch."""
    found = re.search(r"couldn't find remote ref (\S+)", result.err)
    if found is None:
        return None
    sources = ((r, r.lstrip("+").split(":", 1)[0]) for r in refspecs if "*" not in r)
    return next((r for r, src in sources if src == found[1]), None)


MIRROR_LOCK = "mirror.lock"  # in the clone's state dir (<git-common-dir>/gitcoord/)
MIRROR_RACE_PATIENCE = 10.0  # seconds of local ref-lock races before giving up
STALE_MIRROR_LOCK = 1.0  # a mirror ref lock this old, seen under the flock, is a dead process's


@contextmanager
def _serialized(lock: Path | None) -> Iterator[None]:
    if lock is None:
        yield
        return
    import fcntl  # deferred: only a fetch with a clone's lock needs it

    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing drops the flock


# A git process killed while updating a ref leaves its lock file, and every later update of
# that ref fails until someone removes it ("a git process may have crashed ... remove the file
# manually"). Locks on the private mirror refs (refs/gitcoord/) are removed and the fetch
# retried: those refs are a cache that the fetch rewrites anyway. Any other lock is the user's.
# Patterns as text: re compiles (and caches) them on first use, which is only on failure.
_STALE_LOCK = r"Unable to create '([^']+\.lock)': File exists"


# Another writer changed a mirror ref between the fetch's read and its ref transaction.
_MOVED = (
    r"cannot lock ref '[^']*refs/gitcoord/[^']*': "
    r"(is at |reference already exists|reference is missing)"
)


def _local_race(result: GitResult, cwd: str, remote: str) -> bool:
    """Whether a failed fetch met a local race on the mirror refs (retry it): a mirror ref
    that moved under it, or a lock file on one. A lock file that stays is a dead process's:
    removed once older than STALE_MIRROR_LOCK (the fetches of this clone are serialized, so
    only another session's push or ref deletion, which hold a ref lock for milliseconds, can
    own a younger one). Raises for a leftover lock outside the mirror: that one is the
    user's to remove."""
    locks = re.findall(_STALE_LOCK, result.err)
    if not locks:
        return re.search(_MOVED, result.err) is not None
    foreign = [p for p in locks if "/refs/gitcoord/" not in p.replace(os.sep, "/")]
    if foreign:
        if foreign[0].endswith("packed-refs.lock"):
            # Its packed-refs.new is left too, and would block the retry next.
            raise leftover_error(foreign[0].removesuffix(".lock") + ".new", remote)
        raise CannotVerify(
            f"a lock file left by an interrupted git process blocks the fetch from {remote!r}: "
            f"{foreign[0]}",
            fix=f"make sure no git command runs in this clone, then: rm {shlex.quote(foreign[0])}",
        )
    now = time.time()
    for path in locks:
        lock = Path(cwd, path)  # git names it absolute; else cwd-relative
        try:
            if now - lock.stat().st_mtime >= STALE_MIRROR_LOCK:
                lock.unlink()
        except FileNotFoundError:
            pass  # its owner finished: the retry goes through
    return True
