"""Sync before you deploy: how far a commit is from the remote's branch, read from git.

Used by the pre-push hook (a push to a protected branch may never drop the remote's commits;
a push may move a deploy branch only to a commit containing the base tip), by `gitcoord ci`
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
from gitcoord.policy.decisions import PushCheck, deploy_pattern, is_protected


def _fetch_tip(cwd: str, remote: str, branch: str, timeout: float | None) -> str | None:
    """Fetch `branch` from `remote` into its remote-tracking ref when `remote` is a name (a
    URL gets a private ref); the local ref now holding the remote's tip, or None when the
    remote has no such branch."""
    is_name = "/" not in remote and ":" not in remote
    local = f"refs/remotes/{remote}/{branch}" if is_name else f"refs/gitcoord/sync/{branch}"
    return local if fetch_branch_into(cwd, remote, branch, local, timeout) else None


def fetch_branch(cwd: str, remote: str, branch: str, timeout: float | None = None) -> str:
    """Fetch `branch` from `remote` (see _fetch_tip); a branch the remote lacks is an error."""
    local = _fetch_tip(cwd, remote, branch, timeout)
    if local is None:
        raise UsageError(
            f"branch {branch!r} does not exist on {remote}",
            fix="set [remote] base in gitcoord.toml to the branch you deploy from",
        )
    return local


def _dropped(cwd: str, remote: str, p: PushedRef, branch: str, timeout: float | None) -> int:
    """How many of the remote's commits on `branch` the pushed ref drops. The remote's oid
    comes from git (pre-push stdin); when this clone lacks that commit (a stale clone), the
    branch is fetched first, so the count is exact."""
    if not has_commit(cwd, p.remote_oid):
        _fetch_tip(cwd, remote, branch, timeout)
        if not has_commit(cwd, p.remote_oid):
            raise CannotVerify(
                f"cannot read {remote}'s {branch} at {p.remote_oid[:12]} to compare",
                fix=f"git fetch {remote} {branch}, then push again",
            )
    if is_zero(p.local_oid):
        return count_commits(cwd, p.remote_oid)
    return count_commits(cwd, p.remote_oid, "^" + p.local_oid)


def _base_tip(
    cwd: str, remote: str, pushed: Sequence[PushedRef], config: Config
) -> tuple[str, str | None]:
    """The base branch and its tip on the pushed-to remote, fetched fresh. On a remote
    without the base, a push that creates it gives its tip; else there is none to contain."""
    base = base_branch(cwd, config)
    tip = _fetch_tip(cwd, remote, base, config.remote.timeout)
    if tip is None:
        creating = (p.local_oid for p in pushed if p.remote_ref == HEADS + base)
        tip = next((oid for oid in creating if not is_zero(oid)), None)
    return base, tip


def push_checks(
    cwd: str, remote: str, pushed: Sequence[PushedRef], config: Config
) -> list[PushCheck]:
    """What sync judges of each pushed branch: for a protected one, how many of the remote's
    commits it drops; for a deploy branch moved to a commit (not deleted), how many commits
    of the base tip (fetched fresh) that commit lacks."""
    out = []
    base: tuple[str, str | None] | None = None  # fetched once, when a deploy branch moves
    timeout = config.remote.timeout
    for p in pushed:
        if not p.remote_ref.startswith(HEADS):
            continue  # a tag
        branch = p.remote_ref[len(HEADS) :]
        deleting = is_zero(p.local_oid)
        check = PushCheck(branch, remote, 0, deleting=deleting)
        if is_protected(branch, config) is not None and not is_zero(p.remote_oid):
            check = check._replace(missing=_dropped(cwd, remote, p, branch, timeout))
        if deploy_pattern(branch, config) is not None and not deleting:
            base = base or _base_tip(cwd, remote, pushed, config)
            base_name, tip = base
            if tip is not None and base_name != branch:
                behind = count_commits(cwd, tip, "^" + p.local_oid)
                check = check._replace(base=base_name, behind=behind)
        if check.missing or check.base:
            out.append(check)
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
