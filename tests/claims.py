"""A Claim built in memory for pure tests of the domain rules (no repository involved)."""

from __future__ import annotations

from gitcoord.core.claim import Claim
from gitcoord.core.modes import Mode
from gitcoord.core.paths import ClaimPath


def make_claim(path: ClaimPath, mode: Mode, agent: str) -> Claim:
    """A one-minute claim by `agent` in session "s"; every other field is fixed."""
    return Claim(
        id="x",
        path=path,
        mode=mode,
        agent=agent,
        host="h",
        worktree="w",
        session="s",
        reason="",
        ttl=60,
        created_at=0.0,
        expires_at=60.0,
        priority_at=0.0,
    )
