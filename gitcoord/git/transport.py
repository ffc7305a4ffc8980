"""Talking to the remote: atomic leased pushes and prefix fetches, through the git CLI.

libgit2 has no atomic push and no force-with-lease, and ignores the user's ssh config and
credential helpers, so everything that crosses the network is a git process whose
`--porcelain` output is parsed here.

Porcelain push output (git-push(1), OUTPUT): a `To <url>` line, then one line per ref,
`<flag> TAB <from>:<to> TAB <summary>`, where flag `!` means rejected and ` `, `+`, `-`,
`*`, `=` mean it landed; then `Done`.
"""

from __future__ import annotations

import os
import re
import shlex
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import NamedTuple

from gitcoord.core.errors import CannotVerify
from gitcoord.git.process import GitResult, run_git, run_git_while


class RefUpdate(NamedTuple):
    """Set `ref` to `new` (None deletes it) only if it is still `expect` (None: must not exist)."""

    ref: str
    new: str | None
    expect: str | None

    def refspec(self) -> str:
        return f"{self.new}:{self.ref}" if self.new else f":{self.ref}"

    def lease(self) -> str:
        return f"--force-with-lease={self.ref}:{self.expect or ''}"


class RefStatus(NamedTuple):
    ref: str
    ok: bool
    summary: str


class PushOutcome(Enum):
    """What one atomic push did, as far as the client can tell: the one classification every
    caller acts on."""

    LANDED = "landed"  # every ref updated
    STALE = "stale"  # a lease no longer held (or a lost race): re-read, plan again
    REFUSED = "refused"  # a server hook said no, or a ref is in the way of the layout
    UNANSWERED = "unanswered"  # no per-ref report: only a re-read tells whether it landed


# The server's compare-and-swap lost a race (a ref changed after the advertisement): this is
# a stale lease, answered by a fresh listing, not a refusal by a server hook.
_LOST_RACE = r"atomic transaction failed|failed to lock|cannot lock ref|stale info"  # re caches
# A ref in the way of the layout: `refs/claims/s` as a ref blocks every shared claim, a ref
# under an agent's log key blocks that agent's log. git names both in the remote's message.
_SHADOWED = r"cannot lock ref '([^']+)': '([^']+)' exists"


class PushResult(NamedTuple):
    """`statuses` is empty when git never reported per-ref results (a transport failure)."""

    statuses: dict[str, RefStatus]
    result: GitResult

    @property
    def landed(self) -> bool:
        return bool(self.statuses) and all(s.ok for s in self.statuses.values())

    @property
    def answered(self) -> bool:
        return bool(self.statuses)

    @property
    def outcome(self) -> PushOutcome:
        if self.landed:
            return PushOutcome.LANDED
        if self.shadowed() is not None or self.refusals():
            return PushOutcome.REFUSED
        return PushOutcome.STALE if self.answered else PushOutcome.UNANSWERED

    def culprits(self) -> list[RefStatus]:
        """Refs that caused an atomic rejection (not the ones rejected only for company)."""
        return [
            s for s in self.statuses.values() if not s.ok and "atomic push failed" not in s.summary
        ]

    def refusals(self) -> list[RefStatus]:
        """The culprits a server hook rejected (not a lost compare-and-swap race)."""
        return [
            s
            for s in self.culprits()
            if "remote rejected" in s.summary and not re.search(_LOST_RACE, s.summary)
        ]

    def shadowed(self) -> tuple[str, str] | None:
        """(the ref wanted, the remote ref in its way) when the layout is shadowed."""
        found = None if self.landed else re.search(_SHADOWED, self.result.err)
        return (found.group(1), found.group(2)) if found else None

    def remote_said(self) -> list[str]:
        """The lines the remote's hooks printed (`remote: ...`), without the prefix."""
        return [ln[7:].strip() for ln in self.result.err.splitlines() if ln.startswith("remote:")]


# git's status for a ref whose report never came (`! ... [remote failure]`): the connection
# dropped after the push was sent, so the server may well have applied it.
_NO_REPORT = "remote failed to report status"


def parse_porcelain(stdout: str) -> dict[str, RefStatus]:
    statuses: dict[str, RefStatus] = {}
    for line in stdout.splitlines():
        fields = line.split("\t")
        if len(fields) < 3 or len(fields[0]) != 1:
            continue
        flag, spec, summary = fields[0], fields[1], "\t".join(fields[2:])
        ref = spec.rsplit(":", 1)[-1]
        statuses[ref] = RefStatus(ref=ref, ok=flag != "!", summary=summary.strip())
    return statuses


# git's generic advice after any ssh failure; the cause (ssh's own message) comes before it.
_BOILERPLATE = (
    "Could not read from remote repository",
    "Please make sure you have the correct access rights",
    "and the repository exists.",
)


def unreachable(result: GitResult, remote: str) -> CannotVerify:
    leftover = re.search(_LEFTOVER, result.err)
    if leftover:
        # Not the network: a git process killed while rewriting packed-refs left its
        # temporary file, and git refuses every later ref deletion until it is removed.
        return _leftover_error(leftover.group(1), remote)
    lines = [ln for ln in result.err.strip().splitlines() if ln.strip()]
    tail = [ln for ln in lines if not any(b in ln for b in _BOILERPLATE)] or lines
    cause = " / ".join(tail[-3:]) if tail else f"git exited with {result.returncode}"
    return CannotVerify(
        f"cannot reach remote {remote!r}: {cause}",
        fix=f"check the network and your credentials (`git ls-remote {remote}`), then retry",
    )


def push(
    cwd: str, remote: str, updates: Sequence[RefUpdate], track: Sequence[str] = ()
) -> PushResult:
    """One atomic push with an explicit lease per ref. Never raises for a rejection.

    `track` (fetch refspecs of the named `remote`) makes git update the local mirror of
    every ref that landed, as it does for remote-tracking branches: the next command then
    leases on what this push wrote instead of a stale value (one rejected round trip).
    """
    args = [arg for spec in track for arg in ("-c", f"remote.{remote}.fetch={spec}")]
    args += ["push", "--porcelain", "--atomic", "--no-verify"]
    args += [u.lease() for u in updates]
    args += [remote, *(u.refspec() for u in updates)]
    res = run_git(args, cwd=cwd, check=False)
    if "does not support --atomic" in res.err:
        raise CannotVerify(
            f"remote {remote!r} does not support atomic push (capability 'atomic'); "
            "gitcoord never falls back to a non-atomic claim",
            fix="use a host that advertises atomic push, or a separate coordination remote: "
            "[remote] url = ... in gitcoord.toml",
        )
    wanted = {u.ref for u in updates}
    statuses = {ref: st for ref, st in parse_porcelain(res.out).items() if ref in wanted}
    unreported = any(_NO_REPORT in st.summary for st in statuses.values())
    if unreported or (res.returncode == 0 and len(statuses) != len(wanted)):
        # git did not hear (or did not say) what became of every ref: the push may have
        # landed, so it counts as unanswered and the caller re-reads the remote.
        statuses = {}
    return PushResult(statuses=statuses, result=res)


def fetch(
    cwd: str,
    remote: str,
    refspecs: Sequence[str],
    meanwhile: Callable[[], None] | None = None,
    lock: Path | None = None,
) -> None:
    """A prefix fetch (protocol v2 sends ref-prefixes); raises CannotVerify when unreachable.

    `meanwhile` runs in this process while the first attempt's git works: local work that
    does not depend on what the fetch brings (loading a cache), off the wall-clock path.
    `lock`: a file whose flock serializes the fetches of every session in this clone (they
    all rewrite the same mirror refs). Held only while git fetches; the kernel drops it if
    the process dies. A local ref-lock race that still happens (a push of another session
    updating its mirrored log ref, a leftover lock file) is retried, never reported as an
    unreachable remote.
    """
    args = [
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
        remote,
        *refspecs,
    ]
    started = time.monotonic()
    attempt = 0
    while True:
        with _serialized(lock):
            res = run_git_while(args, cwd=cwd, meanwhile=meanwhile if attempt == 0 else None)
        if res.returncode == 0:
            return
        attempt += 1
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
_LEFTOVER = r"unable to create file (\S+packed-refs\.new): File exists"


def _leftover_error(path: str, remote: str) -> CannotVerify:
    # git writes packed-refs.new only while holding packed-refs.lock; a kill leaves both.
    lock = path.removesuffix(".new") + ".lock"
    both = [p for p in (lock, path) if os.path.exists(p)] or [path]
    return CannotVerify(
        f"a file left by an interrupted git process blocks ref updates (fetch from "
        f"{remote!r}): {', '.join(both)}",
        fix="make sure no git command runs in this clone, then: rm "
        + " ".join(shlex.quote(p) for p in both),
    )


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
            raise _leftover_error(foreign[0].removesuffix(".lock") + ".new", remote)
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
