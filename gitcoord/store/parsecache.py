"""Claim objects already parsed, by commit OID, so a listing parses only the new ones.

An OID names exact content, so an entry never goes stale: the cache needs no invalidation,
only pruning to the OIDs of the last full listing (it stays the size of the listing). It
also keeps each claim's public JSON as the snapshot and `git claim --json` print it, so a
warm listing encodes nothing either.

Only claims that parsed and sat at their own ref are kept: an invalid object is read and
judged again on every listing. The file is a cache: missing, damaged, foreign or of another
version, it is ignored (and rewritten); writes are a temp file and `os.replace`, so a
concurrent writer leaves one whole file of correct entries, its own or ours.

File: MAGIC, then marshal of (SCHEMA, gitcoord version, claim format, {oid: entry}), an
entry being what `_stored` makes. marshal, because it is the quickest of the standard
library's formats to load, and this runs on every listing (bench/notes.md has the figures).
"""

from __future__ import annotations

import json
import marshal
from pathlib import Path
from typing import Any, NamedTuple

from gitcoord import __version__
from gitcoord.core.atomicfile import write_atomic
from gitcoord.core.claim import FORMAT_VERSION, Claim
from gitcoord.core.modes import Mode
from gitcoord.core.paths import ClaimPath

MAGIC = b"gitcoord parse cache\n"
SCHEMA = 6  # bump when the entry changes
_MODES = {m.value: m for m in Mode}


class Parsed(NamedTuple):
    claim: Claim
    compact: str  # public_json() as the snapshot stores it (compact, ASCII)
    listed: str  # public_json() as `git claim --json` prints it: indent=2, UTF-8


def parsed(claim: Claim) -> Parsed:
    public = claim.public_json()
    compact = json.dumps(public, separators=(",", ":"))
    return Parsed(claim, compact, json.dumps(public, indent=2, ensure_ascii=False))


# An entry is (row, compact, listed), the row being the claim's fields in Claim's order with
# its path and mode as plain values and without its OID (the entry's key).
def _stored(p: Parsed) -> tuple[Any, ...]:
    id_, path, mode, *rest, _oid = p.claim
    return ((id_, (path.key, path.is_dir), mode.value, *rest), p.compact, p.listed)


def _entry(oid: str, stored: tuple[Any, ...]) -> Parsed:
    (id_, (key, is_dir), mode, *rest), compact, listed = stored
    claim = Claim._make((id_, ClaimPath(key, is_dir), _MODES[mode], *rest, oid))
    return Parsed(claim, compact, listed)


def _header() -> tuple[Any, ...]:
    return (SCHEMA, __version__, FORMAT_VERSION)


def load(path: Path) -> dict[str, Parsed]:
    """The cached claims by OID; empty when the file is missing or not one of ours."""
    try:
        blob = path.read_bytes()
        if not blob.startswith(MAGIC):
            return {}
        schema, version, fmt, entries = marshal.loads(blob[len(MAGIC) :])
        if (schema, version, fmt) != _header() or not isinstance(entries, dict):
            return {}
        return {oid: _entry(oid, f) for oid, f in entries.items()}
    except Exception:  # any damage means "no cache", never an error
        return {}


def save(path: Path, entries: dict[str, Parsed]) -> None:
    """Replace the cache with `entries`; best effort (a cache that cannot be written is none)."""
    payload = {oid: _stored(p) for oid, p in entries.items()}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, MAGIC + marshal.dumps((*_header(), payload)))
    except OSError:
        pass
