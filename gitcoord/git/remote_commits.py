"""Whether a commit is on a remote: reachable from a remote-tracking ref (refs/remotes/),
the clone's record of what its remotes have, refreshed by a fetch of the remote's branches.
For `gitcoord task done --commit`, whose commit must be one others can see."""

from __future__ import annotations

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
