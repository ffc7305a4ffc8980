"""How a claim is worded for people: one line shared by the client's refusals and listings
and the server's hook refusals, so both name a holder the same way."""

from __future__ import annotations

from gitcoord.core.claim import Claim
from gitcoord.core.durations import format_duration
from gitcoord.core.textsafe import printable


def describe(c: Claim, at: float, takeover_at: float | None = None) -> str:
    """One line on another's claim. With `takeover_at` (Listing.takeover_at), a claim whose
    lease has ended but that this clone may not take over yet says when it may."""
    left = c.lease_end - at
    when = f"expires in {format_duration(left)}" if left > 0 else "expired"
    if left <= 0 and takeover_at is not None:
        free = takeover_at
        if free > at:
            when = (
                f"expired {format_duration(-left)} ago; this clone may take it over in "
                f"{format_duration(free - at)}, after the skew allowance and its own "
                "sighting of the claim for its lease"
            )
    if c.provisional:
        when += ", not yet verified"
    why = f', reason: "{printable(c.reason)}"' if c.reason else ""
    return (
        f"{printable(str(c.path))} is claimed by {printable(c.agent)} ({c.mode.value}, {when}{why})"
    )
