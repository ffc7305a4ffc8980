"""Sync before you deploy: how far a commit is from the remote's branch, read from git.

Used by the pre-push hook (a push to a protected branch may never drop the remote's commits)
and by `gitcoord sync-check` (deploy only from a checkout that contains the base tip).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from gitcoord.core.config import Config
from gitcoord.core.errors import CannotVerify, UsageError
from gitcoord.core.oids import is_zero
from gitcoord.git.branches import (
    HEADS,
    fetch_branch_into,
    remote_default_branch,
    tracked_default_branch,
)
from gitcoord.git.changes import PushedRef
from gitcoord.git.history import count_commits, has_commit
from gitcoord.policy.decisions import PushCheck, is_protected


def fetch_branch(cwd: str, remote: str, branch: str, timeout: float | None = None) -> str:
    """Fetch `branch` from `remote` into its remote-tracking ref when `remote` is a name (a
    URL gets a private ref); return the local ref now holding the remote's tip."""
    is_name = "/" not in remote and ":" not in remote
    local = f"refs/remotes/{remote}/{branch}" if is_name else f"refs/gitcoord/sync/{branch}"
    if not fetch_branch_into(cwd, remote, branch, local, timeout):
        raise UsageError(
            f"branch {branch!r} does not exist on {remote}",
            fix="set [remote] base in gitcoord.toml to the branch you deploy from",
        )
    return local


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
        if not has_commit(cwd, p.remote_oid):
            fetch_branch(cwd, remote, branch, config.remote.timeout)
            if not has_commit(cwd, p.remote_oid):
                raise CannotVerify(
                    f"cannot read {remote}'s {branch} at {p.remote_oid[:12]} to compare",
                    fix=f"git fetch {remote} {branch}, then push again",
                )
        if is_zero(p.local_oid):
            out.append(PushCheck(branch, remote, count_commits(cwd, p.remote_oid), deleting=True))
        else:
            out.append(
                PushCheck(branch, remote, count_commits(cwd, p.remote_oid, "^" + p.local_oid))
            )
    return out


def base_branch(cwd: str, config: Config) -> str:
    """`[remote] base`, else the remote's HEAD as last fetched, else as the remote says now."""
    if config.remote.base:
        return config.remote.base
    remote = config.remote.name
    timeout = config.remote.timeout
    branch = tracked_default_branch(cwd, remote) or remote_default_branch(cwd, remote, timeout)
    if branch:
        return branch
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
    tip = fetch_branch(cwd, remote, base, config.remote.timeout)
    return SyncState(remote, base, count_commits(cwd, tip, "^HEAD"))
