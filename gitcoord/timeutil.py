"""UTC timestamps in ISO 8601 (millisecond precision), the only time format gitcoord stores."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now() -> float:
    return time.time()


def to_iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def from_iso(text: str) -> float:
    if not isinstance(text, str) or not text.endswith("Z"):
        raise ValueError(f"not a UTC ISO 8601 time: {text!r}")
    return datetime.fromisoformat(text[:-1]).replace(tzinfo=UTC).timestamp()
