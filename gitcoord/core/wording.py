"""How a claim is worded for people: one line shared by the client's refusals and listings
and the server's hook refusals, so both name a holder the same way."""

from __future__ import annotations

from gitcoord.core.claim import Claim, Holder
from gitcoord.core.durations import format_duration
from gitcoord.core.textsafe import printable


def describe(
    c: Claim, at: float, takeover_at: float | None = None, me: Holder | None = None
) -> str:
    """One line on another's claim. With `takeover_at` (Listing.takeover_at), a claim whose
    lease has ended but that this clone may not take over yet says when it may. With `me`,
    a claim of my own other session is named as such (see held_by)."""
    return f"{printable(str(c.path))} is claimed by {held_by(c, at, takeover_at, me)}"


def held_by(c: Claim, at: float, takeover_at: float | None = None, me: Holder | None = None) -> str:
    """The holder of `c` with its mode, expiry and reason: `bob (write, expires in 59m,
    reason: "...")`, or `your other session 1a2b in host:/tree (...)` when `c` is held by
    `me`'s agent in another session (a holder is an agent and a session: two holders)."""
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
    who = other_session(c) if is_other_session(c, me) else printable(c.agent)
    return f"{who} ({c.mode.value}, {when}{why})"


def is_mine(c: Claim, me: Holder | None) -> bool:
    """Whether `c` is held by `me` (None: a viewer without an identity holds nothing)."""
    return me is not None and me.holds(c)


def is_other_session(c: Claim, me: Holder | None) -> bool:
    """Whether `c` is held by my agent in a session other than mine."""
    return me is not None and me.other_session_holds(c)


def other_session(c: Claim) -> str:
    """`your other session <id> in <host>:<worktree>`: where that session works, when the
    claim published it ([claims] publish_location)."""
    where = (
        f"in {printable(c.host)}:{printable(c.worktree)}"
        if c.host or c.worktree
        else "(location not published)"
    )
    return f"your other session {printable(c.session)} {where}"
