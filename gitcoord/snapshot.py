"""Reading the claims snapshot that `ClaimStore.fetch_listing()` writes, with json alone.

The pre-commit hook uses it when it is younger than `[claims] max_age`, so a commit costs no
network round trip and no git process for claims. The file (store.py writes it):

    {"format": 1, "remote": "...", "fetched_at": "<iso>", "claims": [<public_json>...],
     "invalid": [...]}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitcoord.claim import Claim
from gitcoord.modes import Mode
from gitcoord.paths import ClaimPath
from gitcoord.timeutil import from_iso


@dataclass(frozen=True)
class Snapshot:
    fetched_at: float
    claims: list[Claim]

    def age(self, now: float) -> float:
        return now - self.fetched_at

    def fresh(self, now: float, max_age: float) -> bool:
        return 0 <= self.age(now) <= max_age


def claim_from_public(data: dict[str, Any]) -> Claim:
    return Claim(
        id=data["id"],
        path=ClaimPath.parse_stored(data["path"]),
        mode=Mode(data["mode"]),
        agent=data["agent"],
        host=data["host"],
        worktree=data["worktree"],
        session=data["session"],
        reason=data["reason"],
        ttl=data["ttl"],
        created_at=from_iso(data["created_at"]),
        expires_at=from_iso(data["expires_at"]),
        priority_at=from_iso(data["priority_at"]),
        nonce="",
        ref=data.get("ref", ""),
        oid=data.get("oid", ""),
    )


def read_snapshot(path: Path) -> Snapshot | None:
    """The snapshot, or None when it is missing, damaged or of another format (then: fetch)."""
    try:
        data = json.loads(path.read_bytes())
        if data.get("format") != 1:
            return None
        return Snapshot(
            fetched_at=from_iso(data["fetched_at"]),
            claims=[claim_from_public(c) for c in data["claims"]],
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
