"""UTC timestamps in ISO 8601 (millisecond precision), the only time format gitcoord stores."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now() -> float:
    return time.time()


def to_iso(ts: float) -> str:
    # isoformat (C) truncates to milliseconds like strftime's %f[:-3], at a third less cost.
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def from_iso(text: str) -> float:
    if not isinstance(text, str) or not text.endswith("Z"):
        raise ValueError(f"not a UTC ISO 8601 time: {text!r}")
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC).timestamp()
