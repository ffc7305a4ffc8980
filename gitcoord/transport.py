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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from gitcoord.errors import CannotVerify
from gitcoord.gitcmd import GitResult, run_git, run_git_while


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

    def culprits(self) -> list[RefStatus]:
        """Refs that caused an atomic rejection (not the ones rejected only for company)."""
        return [
            s for s in self.statuses.values() if not s.ok and "atomic push failed" not in s.summary
        ]


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
    if res.returncode == 0 and len(statuses) != len(wanted):
        # git says it pushed but did not report every ref: treat as unknown, re-read.
        statuses = {}
    return PushResult(statuses=statuses, result=res)


def fetch(
    cwd: str, remote: str, refspecs: Sequence[str], meanwhile: Callable[[], None] | None = None
) -> None:
    """A prefix fetch (protocol v2 sends ref-prefixes); raises CannotVerify when unreachable.

    `meanwhile` runs in this process while the first attempt's git works: local work that
    does not depend on what the fetch brings (loading a cache), off the wall-clock path.
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
    for attempt in range(3):
        res = run_git_while(args, cwd=cwd, meanwhile=meanwhile if attempt == 0 else None)
        if res.returncode == 0:
            return
        if not _clear_stale_mirror_locks(res, cwd, remote):
            break
    raise unreachable(res, remote)


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


def _clear_stale_mirror_locks(result: GitResult, cwd: str, remote: str) -> bool:
    locks = re.findall(_STALE_LOCK, result.err)
    if not locks:
        return False
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
    for path in locks:
        Path(cwd, path).unlink(missing_ok=True)  # git names it absolute; else cwd-relative
    return True
