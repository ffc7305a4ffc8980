"""The claims a check decides with: the hooks' and the edit-time guard's one rule.

A fresh enough snapshot (younger than `[claims] max_age`) is used as it is, unless the
caller needs the remote itself (the pre-push hook); else the claims are fetched. When the
remote cannot be reached, `[claims] offline = "fail-closed"` stops the caller (exit 3) and
"fail-open" warns and uses the last snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from gitcoord.core.claim import Claim
from gitcoord.core.config import Config, coordination_remote
from gitcoord.core.errors import CannotVerify
from gitcoord.core.identity import Identity
from gitcoord.core.overlap import covering_keys
from gitcoord.git.repo import Repo
from gitcoord.store.snapshot import read_snapshot, snapshot_file


def claims_to_check(
    repo: Repo,
    config: Config,
    me: Identity,
    paths: Sequence[str] | None,
    *,
    now: float,
    fresh_only: bool,
    who: str,
    warn: Callable[[str], None],
) -> list[Claim]:
    """The claims that may cover `paths` (None: all of them); `who` names the caller in
    messages."""
    if config.checks.get("claims") == "off":
        return []
    remote, key = coordination_remote(config)
    relevant = covering_keys(paths) if paths is not None else None
    snap = read_snapshot(snapshot_file(repo.state_dir, key), relevant)
    if not fresh_only and snap is not None and snap.fresh(now, config.claims.max_age):
        return snap.claims
    from gitcoord.store.claimstore import ClaimStore  # only when the snapshot will not do

    try:
        return ClaimStore(repo, config, me).fetch_listing().claims
    except CannotVerify as exc:
        if config.claims.offline == "fail-closed":
            retry = exc.fix or "retry when the remote is reachable"
            raise CannotVerify(
                f"{who}: cannot check claims: {exc.message}",
                fix=f'{retry}; to proceed offline set [claims] offline = "fail-open"',
            ) from None
        age = f"{int(snap.age(now))}s old" if snap else "none"
        warn(
            f"gitcoord: warning: {who}: cannot reach {remote}; offline = fail-open, "
            f"so claims come from the last snapshot ({age})"
        )
        return snap.claims if snap else []
