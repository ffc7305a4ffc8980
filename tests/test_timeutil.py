"""The one stored time format: UTC, millisecond precision, truncated, with a Z."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from gitcoord.core.timeutil import from_iso, to_iso


@given(st.floats(min_value=0, max_value=4_000_000_000, allow_nan=False))
def test_to_iso_matches_the_strftime_form(ts: float) -> None:
    expected = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    assert to_iso(ts) == expected


def test_round_trip_keeps_milliseconds() -> None:
    assert to_iso(1_700_000_000.9999) == "2023-11-14T22:13:20.999Z"
    assert from_iso(to_iso(1_700_000_000.25)) == 1_700_000_000.25
