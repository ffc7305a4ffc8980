"""Branches on a remote: fetching one, its tip, and which is the remote's default."""

from __future__ import annotations

from gitcoord.git.process import run_git
from gitcoord.git.transport import run_remote, unreachable

HEADS = "refs/heads/"


def fetch_branch_into(
    cwd: str, remote: str, branch: str, local: str, timeout: float | None = None
) -> bool:
    """Fetch `branch` from `remote` into the ref `local`; False when the remote has no such
    branch. Raises CannotVerify (transport.unreachable) for any other failure, and after
    `timeout` seconds."""
    res = run_remote(
        cwd,
        remote,
        [
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            remote,
            f"+{HEADS}{branch}:{local}",
        ],
        timeout,
    )
    if res.returncode != 0:
        if "couldn't find remote ref" in res.err:
            return False
        raise unreachable(res, remote)
    return True


def remote_ref_oid(remote: str, ref: str, timeout: float | None = None) -> str | None:
    """The OID `ref` has on `remote` now (ls-remote), or None when it has no such ref."""
    res = run_remote(None, remote, ["ls-remote", remote, ref], timeout)
    if res.returncode != 0:
        raise unreachable(res, remote)
    return res.out.split()[0] if res.out.strip() else None


def tracked_default_branch(cwd: str, remote: str) -> str | None:
    """The remote's default branch as last fetched (refs/remotes/REMOTE/HEAD), if recorded."""
    res = run_git(["symbolic-ref", "--quiet", f"refs/remotes/{remote}/HEAD"], cwd=cwd, check=False)
    prefix = f"refs/remotes/{remote}/"
    if res.returncode == 0 and res.out.strip().startswith(prefix):
        return res.out.strip()[len(prefix) :]
    return None


def remote_default_branch(cwd: str, remote: str, timeout: float | None = None) -> str | None:
    """The branch the remote's HEAD names now (ls-remote --symref), or None when it has no HEAD."""
    res = run_remote(cwd, remote, ["ls-remote", "--symref", remote, "HEAD"], timeout)
    if res.returncode != 0:
        raise unreachable(res, remote)
    for line in res.out.splitlines():
        if line.startswith("ref: " + HEADS):
            return line.split()[1][len(HEADS) :]
    return None


def current_branch(cwd: str) -> str | None:
    """The branch HEAD is on (`main`), or None when HEAD is detached."""
    res = run_git(["symbolic-ref", "--quiet", "--short", "HEAD"], cwd=cwd, check=False)
    return res.out.strip() or None if res.returncode == 0 else None
