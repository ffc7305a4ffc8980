"""When this clone first saw each claim object: the reader's half of lease expiry.

A reader treats another's claim as expired only when the holder's lease has ended (its
`expires_at`, by the holder's clock) *and* this clone has itself seen that same object for
the lease plus the skew allowance (by its own clock). The second condition needs no
agreement between clocks, only that they run at about the same rate (docs/design.md).

File: MAGIC, then marshal of {oid: first seen (epoch seconds)}. It is rewritten whole
(temp file and rename); of two concurrent writers one wins, and an entry lost that way is
seen again later, which only makes the reader wait longer: the safe direction. A missing or
damaged file means nothing was seen yet, so a fresh clone waits a full lease.
"""

from __future__ import annotations

import marshal
from pathlib import Path

from gitcoord.core.atomicfile import write_atomic

MAGIC = b"gitcoord observed\n"


def load(path: Path) -> dict[str, float]:
    try:
        blob = path.read_bytes()
        if not blob.startswith(MAGIC):
            return {}
        data = marshal.loads(blob[len(MAGIC) :])
    except Exception:  # any damage means "nothing seen yet", never an error
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, float)}


def save(path: Path, seen: dict[str, float]) -> None:
    """Best effort: a clone that cannot record what it saw will see it again later."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, MAGIC + marshal.dumps(seen))
    except OSError:
        pass


def observe(seen: dict[str, float], oids: list[str], at: float, *, prune: bool) -> bool:
    """Record `oids` first seen at `at` (keeping earlier sightings); with `prune`, forget the
    objects no longer listed. True when `seen` changed (then it should be saved)."""
    changed = False
    for oid in oids:
        if oid not in seen:
            seen[oid] = at
            changed = True
    if prune and len(seen) != len(oids):
        keep = set(oids)
        for oid in [o for o in seen if o not in keep]:
            del seen[oid]
        changed = True
    return changed
