"""Reading the claims snapshot that `ClaimStore.fetch_listing()` writes, with json alone.

The pre-commit hook uses it when it is younger than `[claims] max_age`, so a commit costs no
network round trip and no git process for claims. The file (store.py writes it):

    {"format": 1, "remote": "...", "fetched_at": "<iso>", "claims": [<public_json>...],
     "invalid": [...]}
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

from gitcoord.core.atomicfile import write_atomic
from gitcoord.core.claim import Claim, claim_from_fields
from gitcoord.core.paths import GLOB_MAGIC
from gitcoord.core.timeutil import from_iso


def snapshot_file(state_dir: Path, remote_key: str) -> Path:
    return state_dir / f"snapshot-{remote_key}.json"


def write_snapshot(path: Path, text: str) -> None:
    """Whole or not at all: a hook may read it while a listing writes it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text.encode("utf-8"))


class Snapshot(NamedTuple):
    fetched_at: float
    claims: list[Claim]

    def age(self, now: float) -> float:
        return now - self.fetched_at

    def fresh(self, now: float, max_age: float) -> bool:
        return 0 <= self.age(now) <= max_age


def claim_from_public(data: dict[str, Any]) -> Claim:
    return claim_from_fields(data, nonce="", ref=data.get("ref", ""), oid=data.get("oid", ""))


# store.py writes the snapshot as compact JSON (separators without spaces), so a claim on
# path P contains the bytes "path":<P as JSON>. When no relevant path appears, no claim can
# matter and parsing 2,000 claims (the largest cost of a commit) is skipped.
COMPACT_HEAD = b'{"format":1,'
_FETCHED_AT = b'"fetched_at":"'


def _fetched_at(blob: bytes) -> str | None:
    start = blob.find(_FETCHED_AT)
    if start < 0:
        return None
    start += len(_FETCHED_AT)
    end = blob.find(b'"', start)
    return blob[start:end].decode("ascii", "replace") if end > 0 else None


def _mentions(blob: bytes, keys: set[str]) -> bool:
    if b'"path":' + json.dumps(GLOB_MAGIC).encode()[:-1] in blob:
        return True  # a pattern claim may match any path: always relevant
    for key in keys:
        for stored in (key, key + "/") if key else ("./",):
            if b'"path":' + json.dumps(stored).encode() in blob:
                return True
    return False


def _pattern(stored: str) -> bool:
    return stored.startswith(GLOB_MAGIC)


def _key(stored: str) -> str:
    return "" if stored == "./" else stored.rstrip("/")


def read_snapshot(path: Path, relevant: set[str] | None = None) -> Snapshot | None:
    """The snapshot, or None when it is missing, damaged or of another format (then: fetch);
    any exception while reading it means damaged.

    With `relevant` (core/overlap.covering_keys), only pattern claims and claims whose path
    key is in it are built: the others cannot cover a changed path, and building 2,000
    claims costs more than the rest of the hook.
    """
    try:
        blob = path.read_bytes()
        if relevant is not None and blob.startswith(COMPACT_HEAD):
            at = _fetched_at(blob)
            if at is not None and not _mentions(blob, relevant):
                return Snapshot(fetched_at=from_iso(at), claims=[])
        data = json.loads(blob)
        if data.get("format") != 1:
            return None
        raw = data["claims"]
        if relevant is not None:
            raw = [c for c in raw if _key(c["path"]) in relevant or _pattern(c["path"])]
        return Snapshot(
            fetched_at=from_iso(data["fetched_at"]),
            claims=[claim_from_public(c) for c in raw],
        )
    except Exception:  # damaged (an InvalidClaim, a RecursionError, ...): fetch instead
        return None
