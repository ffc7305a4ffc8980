"""Sync before you deploy: how far a commit is from the remote's branch, read from git.

Used by the pre-push hook (a push to a protected branch may never drop the remote's commits)
and by `gitcoord sync-check` (deploy only from a checkout that contains the base tip).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from gitcoord.core.config import Config
from gitcoord.core.errors import CannotVerify, UsageError
from gitcoord.git.changes import PushedRef, is_zero
from gitcoord.git.process import run_git
from gitcoord.git.transport import unreachable
from gitcoord.policy.decisions import PushCheck, is_protected

HEADS = "refs/heads/"


def has_object(cwd: str, oid: str) -> bool:
    return run_git(["cat-file", "-e", oid + "^{commit}"], cwd=cwd, check=False).returncode == 0


def fetch_branch(cwd: str, remote: str, branch: str) -> str:
    """Fetch `branch` from `remote` into its remote-tracking ref when `remote` is a name (a
    URL gets a private ref); return the local ref now holding the remote's tip."""
    is_name = "/" not in remote and ":" not in remote
    local = f"refs/remotes/{remote}/{branch}" if is_name else f"refs/gitcoord/sync/{branch}"
    res = run_git(
        [
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            remote,
            f"+{HEADS}{branch}:{local}",
        ],
        cwd=cwd,
        check=False,
    )
    if res.returncode != 0:
        if "couldn't find remote ref" in res.err:
            raise UsageError(
                f"branch {branch!r} does not exist on {remote}",
                fix="set [remote] base in gitcoord.toml to the branch you deploy from",
            )
        raise unreachable(res, remote)
    return local


def count(cwd: str, *revs: str) -> int:
    return int(run_git(["rev-list", "--count", *revs, "--"], cwd=cwd).out.strip() or 0)


def push_checks(
    cwd: str, remote: str, pushed: Sequence[PushedRef], config: Config
) -> list[PushCheck]:
    """For each pushed ref to a protected branch: how many of the remote's commits it drops.

    The remote's oid comes from git (pre-push stdin); when this clone lacks that commit (a
    stale clone), the branch is fetched first, so the count is exact.
    """
    out = []
    for p in pushed:
        if not p.remote_ref.startswith(HEADS) or is_zero(p.remote_oid):
            continue  # a tag, or a new branch: nothing on the remote to drop
        branch = p.remote_ref[len(HEADS) :]
        if is_protected(branch, config) is None:
            continue
        if not has_object(cwd, p.remote_oid):
            fetch_branch(cwd, remote, branch)
            if not has_object(cwd, p.remote_oid):
                raise CannotVerify(
                    f"cannot read {remote}'s {branch} at {p.remote_oid[:12]} to compare",
                    fix=f"git fetch {remote} {branch}, then push again",
                )
        if is_zero(p.local_oid):
            out.append(PushCheck(branch, remote, count(cwd, p.remote_oid), deleting=True))
        else:
            out.append(PushCheck(branch, remote, count(cwd, p.remote_oid, "^" + p.local_oid)))
    return out


def base_branch(cwd: str, config: Config) -> str:
    """`[remote] base`, else the remote's HEAD as last fetched, else as the remote says now."""
    if config.remote.base:
        return config.remote.base
    remote = config.remote.name
    res = run_git(["symbolic-ref", "--quiet", f"refs/remotes/{remote}/HEAD"], cwd=cwd, check=False)
    prefix = f"refs/remotes/{remote}/"
    if res.returncode == 0 and res.out.strip().startswith(prefix):
        return res.out.strip()[len(prefix) :]
    res = run_git(["ls-remote", "--symref", remote, "HEAD"], cwd=cwd, check=False)
    if res.returncode != 0:
        raise unreachable(res, remote)
    for line in res.out.splitlines():
        if line.startswith("ref: " + HEADS):
            return line.split()[1][len(HEADS) :]
    raise UsageError(
        f"cannot tell the base branch: {remote} has no HEAD",
        fix='set [remote] base = "main" in gitcoord.toml',
    )


class SyncState(NamedTuple):
    remote: str
    base: str
    behind: int


def sync_state(cwd: str, config: Config) -> SyncState:
    """Fetch the base branch and count the commits it has that HEAD lacks."""
    remote = config.remote.name
    base = base_branch(cwd, config)
    tip = fetch_branch(cwd, remote, base)
    return SyncState(remote, base, count(cwd, tip, "^HEAD"))
