"""The protocol's decisions about leases and wait-die, as pure functions of claims, a
listing, the time `at` and the clock skew allowance: no git, no clock of their own, so they
are tested with a fixed `at` (tests/test_protocol_clock.py).

Wait-die: an older contender (by first-attempt time, `priority_at`) keeps its refs and waits
a little for younger provisional ones to retract; a younger one, or anyone who meets a granted
holder, retracts and waits as an ordinary waiter.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from enum import Enum

from gitcoord.core import refnames
from gitcoord.core.claim import Claim, Holder
from gitcoord.core.identity import Identity
from gitcoord.core.overlap import conflicting
from gitcoord.protocol.messages import newer_format
from gitcoord.protocol.types import Request
from gitcoord.store.listing import InvalidRef, Listing


class Blocked(Exception):
    """A request meets a live claim of another holder: nothing can be planned yet."""

    def __init__(self, holders: list[Claim]) -> None:
        super().__init__("blocked")
        self.holders = holders


def is_mine(c: Claim, me: Identity) -> bool:
    return Holder(me.agent, me.session).holds(c)


def my_ref(req: Request, me: Identity) -> str:
    return refnames.claim_ref(req.path.key, req.mode, me.agent, me.session)


def _new_id() -> str:
    return os.urandom(6).hex()


def plan_claims(
    requests: Sequence[Request],
    listing: Listing,
    me: Identity,
    *,
    at: float,
    skew: float,
    ttl: int,
    reason: str,
    priority_at: float,
    new_id: Callable[[], str] = _new_id,
) -> tuple[list[Claim], list[Claim]]:
    """The provisional claims to write for `requests`, and the expired claims of others they
    replace. Raises Blocked when a live claim of another holder sits at one of my refs."""
    claims: list[Claim] = []
    previous: list[Claim] = []
    blocked: list[Claim] = []
    for req in requests:
        ref = my_ref(req, me)
        existing = listing.by_ref.get(ref)
        claim_id = new_id()
        if isinstance(existing, InvalidRef):
            if existing.newer_format:
                raise newer_format(existing, str(req.path))
        elif isinstance(existing, Claim):
            if is_mine(existing, me):
                claim_id = existing.id  # re-claiming renews in place (verified again)
            elif listing.expired(existing, at, skew):
                previous.append(existing)
            else:
                blocked.append(existing)
        template = Claim(
            id=claim_id,
            path=req.path,
            mode=req.mode,
            agent=me.agent,
            host=me.host,
            worktree=me.worktree,
            session=me.session,
            reason=reason,
            ttl=ttl,
            created_at=at,
            expires_at=at + ttl,
            priority_at=priority_at,
            ref=ref,
        )
        claims.append(template.renewed(at, ttl, provisional=True))
    if blocked:
        raise Blocked(blocked)
    return claims, previous


def conflicts(mine: Sequence[Claim], listing: Listing, at: float, skew: float) -> list[Claim]:
    """The live claims in `listing` (other than `mine` themselves) that conflict with `mine`."""
    refs = {c.ref for c in mine}
    live = [c for c in listing.live(at, skew) if c.ref not in refs]
    return conflicting(mine, live)


def blockers(
    requests: Sequence[Request], listing: Listing, me: Identity, at: float, skew: float
) -> list[Claim]:
    """The live claims that would conflict with `requests` if I claimed them at `at`."""
    probes = [
        Claim(
            id="",
            path=r.path,
            mode=r.mode,
            agent=me.agent,
            host="",
            worktree="",
            session=me.session,
            reason="",
            ttl=1,
            created_at=at,
            expires_at=at,
            priority_at=at,
        )
        for r in requests
    ]
    return conflicts(probes, listing, at, skew)


class Contention(Enum):
    HOLD = "hold"  # no conflict: my claims hold
    WAIT = "wait"  # only younger provisional contenders: they will yield, wait a little
    YIELD = "yield"  # a granted holder, an older contender, or no time left: retract


def contend(
    claims: Sequence[Claim],
    listing: Listing,
    me: Identity,
    *,
    at: float,
    skew: float,
    contend_until: float,
    holding: bool = False,
) -> tuple[Contention, list[Claim]]:
    """Wait-die for my just-written `claims` against `listing`: the verdict and the conflicts.

    `holding`: the claims are a renewal that was live throughout, so every provisional
    contender's read saw them and it will yield; only a granted conflict defeats them.
    """
    found = conflicts(claims, listing, at, skew)
    if holding:
        found = [c for c in found if not c.provisional]
    if not found:
        return Contention.HOLD, found
    mine = (claims[0].priority_at, me.agent, me.session)
    granted = any(not c.provisional for c in found)
    older = any((c.priority_at, c.agent, c.session) < mine for c in found)
    if granted or (older and not holding) or at >= contend_until:
        return Contention.YIELD, found
    return Contention.WAIT, found


def renews_continuously(c: Claim, at: float, skew: float) -> bool:
    """Whether a renewal of `c` planned at `at` extends a lease every reader still counts as
    live (else it is a new claim: provisional, verified, granted)."""
    return not c.provisional and at < c.lease_end - skew


def acked_within_lease(acked: float, lease_end: float) -> bool:
    """A push acknowledged before the lease it extends ended needs no read after it: the
    claim was live throughout in every reader's eyes."""
    return acked < lease_end
