"""Talking to the remote: atomic leased pushes (fetches: git/fetching.py), through the git CLI.

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
from collections.abc import Sequence
from enum import Enum
from typing import NamedTuple

from gitcoord.core.errors import CannotVerify, NeedsCleanup
from gitcoord.git.process import GitResult, GitTimedOut, run_git


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


# A git process killed while rewriting packed-refs leaves packed-refs.new (and .lock).
LEFTOVER = r"unable to create file (\S+packed-refs\.new): File exists"


def leftover_error(path: str, remote: str) -> NeedsCleanup:
    # git writes packed-refs.new only while holding packed-refs.lock; a kill leaves both.
    lock = path.removesuffix(".new") + ".lock"
    both = [p for p in (lock, path) if os.path.exists(p)] or [path]
    return NeedsCleanup(
        f"a file left by an interrupted git process blocks ref updates (fetch from "
        f"{remote!r}): {', '.join(both)}",
        fix="make sure no git command runs in this clone, then: rm "
        + " ".join(shlex.quote(p) for p in both),
    )


def git_said(result: GitResult) -> str:
    """What a failed git said, on one line: its last three lines that are not boilerplate
    (the cause often comes before "the remote end hung up unexpectedly")."""
    lines = [ln.strip() for ln in result.err.strip().splitlines() if ln.strip()]
    tail = [ln for ln in lines if not any(b in ln for b in _BOILERPLATE)] or lines
    return " / ".join(tail[-3:]) if tail else f"git exited with {result.returncode}"


def unreachable(result: GitResult, remote: str) -> CannotVerify:
    leftover = re.search(LEFTOVER, result.err)
    if leftover:
        # Not the network: a git process killed while rewriting packed-refs left its
        # temporary file, and git refuses every later ref deletion until it is removed.
        return leftover_error(leftover.group(1), remote)
    if "unknown option" in result.err or "unknown switch" in result.err:
        from gitcoord.git.support import outdated_git  # only on this failure

        outdated = outdated_git()
        if outdated is not None:  # a git too old for the flags, not the network
            return outdated
    return CannotVerify(
        f"cannot reach remote {remote!r}: {git_said(result)}",
        fix=f"check the network and your credentials (`git ls-remote {remote}`), then retry",
    )


def timed_out(cwd: str, remote: str, seconds: float) -> str:
    """What to say when `remote` did not answer in time: its name and its URL."""
    url = run_git(["ls-remote", "--get-url", remote], cwd=cwd, check=False).out.strip()
    named = f"{remote} ({url})" if url and url != remote else remote
    return f"the remote {named} did not answer within {seconds:g}s (timed out)"


TIMED_OUT_FIX = (
    "check that the remote is reachable (`git ls-remote {remote}`); if it is only slow, "
    'raise [remote] timeout in gitcoord.toml (e.g. timeout = "2m")'
)


def run_remote(
    cwd: str | None, remote: str, args: Sequence[str], timeout: float | None
) -> GitResult:
    """A git command that talks to `remote` (fetch, ls-remote), never raising for its exit
    code; past `timeout` it is stopped and CannotVerify names the remote and the limit."""
    try:
        return run_git(args, cwd=cwd, check=False, timeout=timeout)
    except GitTimedOut as exc:
        raise timed_out_error(cwd or ".", remote, exc.seconds) from None


class RemoteTimedOut(CannotVerify):
    """The remote did not answer within the time limit ([remote] timeout)."""


def timed_out_error(cwd: str, remote: str, seconds: float) -> RemoteTimedOut:
    return RemoteTimedOut(
        timed_out(cwd, remote, seconds), fix=TIMED_OUT_FIX.format(remote=shlex.quote(remote))
    )


def push(
    cwd: str,
    remote: str,
    updates: Sequence[RefUpdate],
    track: Sequence[str] = (),
    timeout: float | None = None,
) -> PushResult:
    """One atomic push with an explicit lease per ref. Never raises for a rejection.

    `track` (fetch refspecs of the named `remote`) makes git update the local mirror of
    every ref that landed, as it does for remote-tracking branches: the next command then
    leases on what this push wrote instead of a stale value (one rejected round trip).
    A push stopped at `timeout` may still land on the server: it is unanswered (no per-ref
    report), and the caller re-reads the remote as after any dropped connection.
    """
    args = [arg for spec in track for arg in ("-c", f"remote.{remote}.fetch={spec}")]
    args += ["push", "--porcelain", "--atomic", "--no-verify"]
    args += [u.lease() for u in updates]
    args += [remote, *(u.refspec() for u in updates)]
    try:
        res = run_git(args, cwd=cwd, check=False, timeout=timeout)
    except GitTimedOut as exc:
        said = timed_out(cwd, remote, exc.seconds).encode()
        return PushResult(statuses={}, result=GitResult(("git", *args), -9, b"", said))
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
