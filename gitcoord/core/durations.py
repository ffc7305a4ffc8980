"""Durations as users write them: 90s, 30m, 2h, 1d (and combinations such as 1h30m)."""

from __future__ import annotations

import re

from gitcoord.core.errors import UsageError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+)([smhdw])")
_WHOLE = re.compile(r"(?:\d+[smhdw])+")


def parse_duration(text: str, *, what: str = "duration") -> int:
    """Seconds in `text`. Every duration names its unit (a bare `5` could mean seconds or
    minutes); raises UsageError naming `what`."""
    value = text.strip().lower()
    if _WHOLE.fullmatch(value):
        seconds = sum(int(n) * _UNITS[u] for n, u in _PART.findall(value))
    else:
        raise UsageError(
            f"invalid {what} {text!r}: expected a number with a unit, e.g. 90s, 30m, 2h, 1d"
        )
    if seconds <= 0:
        raise UsageError(f"invalid {what} {text!r}: must be greater than zero")
    return seconds


def format_duration(seconds: float) -> str:
    """Short human form: 45s, 12m, 3h5m, 2d."""
    s = round(seconds)
    if s < 0:
        return "-" + format_duration(-s)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        m, r = divmod(s, 60)
        return f"{m}m{r}s" if r and m < 10 else f"{m}m"
    if s < 86400:
        h, r = divmod(s, 3600)
        return f"{h}h{r // 60}m" if r >= 60 else f"{h}h"
    d, r = divmod(s, 86400)
    return f"{d}d{r // 3600}h" if r >= 3600 else f"{d}d"
