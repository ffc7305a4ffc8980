"""Whether a commit is on a remote: reachable from a remote-tracking ref (refs/remotes/),
the clone's record of what its remotes have, refreshed by a fetch of the remote's branches.
For `gitcoord task done --commit` and `git claim -d --commit`, whose commit must be one
others can see."""

from __future__ import annotations

from gitcoord.core.errors import Refused, UsageError
from gitcoord.core.textsafe import printable
from gitcoord.git.history import resolve_commit
from gitcoord.git.process import run_git
from gitcoord.git.transport import run_remote, unreachable

REMOTES = "refs/remotes/"


def remote_ref_containing(cwd: str, oid: str) -> str | None:
    """A remote-tracking ref whose history contains `oid`, or None when none does."""
    res = run_git(
        ["for-each-ref", "--count=1", "--contains", oid, "--format=%(refname)", REMOTES],
        cwd=cwd,
        check=False,
    )
    return res.out.strip() or None if res.returncode == 0 else None


def fetch_branches(cwd: str, remote: str, timeout: float | None = None) -> None:
    """`git fetch REMOTE` (its configured refspec: its branches into refs/remotes/REMOTE/);
    raises CannotVerify (transport.unreachable) when it fails, and after `timeout`."""
    res = run_remote(cwd, remote, ["fetch", "--quiet", "--no-tags", remote], timeout)
    if res.returncode != 0:
        raise unreachable(res, remote)


def landed_commit(cwd: str, text: str, remote: str, timeout: float | None = None) -> str:
    """`--commit SHA`: the commit `text` names here (exit 2 when it names none), which must
    be on a remote, reachable from a remote-tracking ref, if need be after a fetch of
    `remote`'s branches. Refused otherwise (exit 1), not just warned about: a commit
    recorded as the landed work names it for everyone, and one only this clone has is
    work no one else can see, lost with the clone."""
    oid = resolve_commit(cwd, text)
    if oid is None:
        raise UsageError(printable(f"--commit {text!r} is not a commit in this repository"))
    if remote_ref_containing(cwd, oid) is None:
        fetch_branches(cwd, remote, timeout)
        if remote_ref_containing(cwd, oid) is None:
            raise Refused(
                printable(
                    f"--commit {text} ({oid[:12]}) is on no remote: no remote-tracking ref "
                    f"contains it, even after fetching {remote}"
                ),
                fix=printable(f"push it first (e.g. `git push {remote} HEAD`), then retry"),
            )
    return oid
