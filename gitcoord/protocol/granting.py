"""After a claim's write: verify it by a read (wait-die against contenders), wait for the
paths to look free or refuse, and grant a verified provisional claim its full lease.

Safety never depends on clocks: holding always requires an empty conflict set in a listing
taken after my own write.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from gitcoord.core.auditlog import entry_messages
from gitcoord.core.claim import Claim, new_nonce
from gitcoord.core.durations import format_duration
from gitcoord.core.errors import CannotVerify, Refused
from gitcoord.core.waiter import DEFAULT_PRIORITY, Waiter
from gitcoord.protocol import leases, messages, queue
from gitcoord.protocol.leases import Contention
from gitcoord.protocol.session import MAX_TRANSPORT_RETRIES, Session, holds
from gitcoord.protocol.types import Request
from gitcoord.store.listing import Listing


class Waiting(NamedTuple):
    """What a refusal names and how long --wait may wait: the requests, the deadline (None:
    refuse at once), when the first attempt started, the --priority of its place in the
    queue, and whether it is a claim (which defers to waiters; a renewal does not)."""

    requests: Sequence[Request]
    deadline: float | None
    started: float
    priority: str = DEFAULT_PRIORITY
    claim: bool = False

    def deferred_to(
        self, s: Session, listing: Listing, at: float, attempt: Sequence[Claim] = ()
    ) -> list[Waiter]:
        """The waiters this claim defers to now (protocol/queue.py)."""
        if not self.claim:
            return []
        queued = self.deadline is not None and at < self.deadline
        return queue.deferred_to(
            self.requests,
            listing,
            s.me,
            at=at,
            skew=s.skew,
            promote_after=float(s.config.claims.promote_after),
            queued=queue.rank(self.priority, self.started, s.me) if queued else None,
            attempt=attempt,
        )


NO_WAITING = Waiting([], None, 0.0)  # a renewal: never waits, refuses at once
LOST_UNVERIFIED = "taken over before it was verified"  # why a provisional claim was retracted


def _jitter(low: float, high: float) -> float:
    """A random backoff in [low, high); imports random only on a retry, not every claim."""
    import random

    return random.uniform(low, high)


def wait_or_refuse(
    s: Session,
    waiting: Waiting,
    holders: list[Claim],
    listing: Listing,
    ahead: Sequence[Waiter] = (),
) -> Listing:
    """Refuse now, or (with --wait) wait, published in the queue, until the requested paths
    look free of `holders` and of the waiters this claim defers to (`ahead`)."""
    at = s.clock()
    deadline = waiting.deadline
    if deadline is None or at >= deadline:
        raise _refusal(s, waiting, holders, ahead, at, listing)
    shown = ""
    backoff = _jitter(0.05, 0.3)
    while True:
        queue.keep_published(s, waiting.requests, waiting.priority, waiting.started, listing)
        line = "waiting: " + "; ".join(
            [s.describe(h, at, listing) for h in holders[:3]]
            + [messages.waiter_line(w, None) for w in ahead[: 3 - min(3, len(holders))]]
        )
        if line != shown:
            s.progress(f"{line} ({format_duration(at - waiting.started)} so far)")
            shown = line
        s.sleep(min(backoff, max(0.0, deadline - at)))
        backoff = min(backoff * 1.6, 2.0)
        listing = s.store.fetch_listing()
        at = s.clock()
        before = _blocking(holders, ahead)
        holders = leases.blockers(waiting.requests, listing, s.me, at, s.skew)
        ahead = waiting.deferred_to(s, listing, at)
        if not holders and not ahead:
            return listing
        if at >= deadline:
            raise _refusal(s, waiting, holders, ahead, at, listing)
        if _blocking(holders, ahead) != before:
            backoff = _jitter(0.05, 0.3)  # the queue moved: look again soon


def _blocking(holders: Sequence[Claim], ahead: Sequence[Waiter]) -> set[str]:
    """What blocks a waiting claim, by object: a change means the queue moved."""
    return {c.oid for c in holders} | {w.ref for w in ahead}


def _refusal(
    s: Session,
    waiting: Waiting,
    holders: list[Claim],
    ahead: Sequence[Waiter],
    at: float,
    listing: Listing,
) -> Refused:
    waited = waiting.deadline is not None
    if not holders:
        promote_after = float(s.config.claims.promote_after)
        return messages.behind_waiters(ahead, waiting.requests, at, promote_after, waited=waited)
    return messages.blocked(
        holders, waiting.requests, at, listing, s.skew, waited=waited, me=s.holder
    )


def verify(
    s: Session, claims: list[Claim], listing: Listing, waiting: Waiting, *, holding: bool = False
) -> Listing | None:
    """None when I hold every claim; else a fresh listing to retry from (after retracting).

    Wait-die (leases.contend): I yield (retract) to a granted holder, and to an older
    provisional contender; younger provisional contenders will yield to me, so I wait for
    them, but only briefly: one that was verified before my write arrived goes on to be
    granted. Raises Refused when there is no time left to wait.
    """
    contend_until = s.clock() + s.contend
    while True:
        at = s.clock()
        if not all(holds(listing, c) for c in claims):
            # Taken from under me (only possible through an expiry): start again.
            s.retract(claims, listing, why=LOST_UNVERIFIED)
            return s.store.fetch_listing()
        verdict, found = leases.contend(
            claims,
            listing,
            s.me,
            at=at,
            skew=s.skew,
            contend_until=contend_until,
            holding=holding,
        )
        if verdict is Contention.HOLD:
            return _behind(s, claims, listing, waiting, at)
        if verdict is Contention.YIELD:
            break
        s.sleep(_jitter(0.05, 0.2))
        listing = s.store.fetch_listing()
    s.retract(claims, listing, overlapped=found)
    return wait_or_refuse(s, waiting, found, s.store.fetch_listing())


def _behind(
    s: Session, claims: list[Claim], listing: Listing, waiting: Waiting, at: float
) -> Listing | None:
    """None when my conflict-free claims need not defer to a waiter (queue.py); else
    retract them and wait behind it (or refuse)."""
    ahead = waiting.deferred_to(s, listing, at, claims)
    if not ahead:
        return None
    s.retract(claims, listing, why="deferred to " + messages.waiter_line(ahead[0], at))
    return wait_or_refuse(s, waiting, [], s.store.fetch_listing(), ahead)


def grant(
    s: Session, claims: list[Claim], listing: Listing, waiting: Waiting
) -> list[Claim] | Listing:
    """Extend verified provisional claims to their full lease. The granted claims, or
    a fresh listing to start again from when they were lost meanwhile.

    An extension acknowledged before the provisional lease ended needs no read after
    it: the claim was live throughout in every reader's eyes (they wait for their own
    observation of it for its lease plus skew), so no conflicting claim was granted.
    One acknowledged later is a new write, and is verified like one.
    """
    pending = [c for c in claims if c.provisional]
    if not pending:
        s.verified(claims)
        return claims
    for _ in range(MAX_TRANSPORT_RETRIES + 2):
        full = [
            c._replace(
                provisional=False, expires_at=c.created_at + c.ttl, nonce=new_nonce(), oid=""
            )
            for c in pending
        ]
        messages = entry_messages("grant", s.me, full, at=s.clock())
        full, updates = s.write(full, [c.oid for c in pending], listing, messages)
        if not s.push(updates).landed:
            listing = s.store.fetch_listing(wrote=full)
            if not all(holds(listing, f) for f in full):
                if all(holds(listing, c) for c in pending):
                    continue  # not delivered, or only my log tip was stale: again
                s.retract(pending, listing, why=LOST_UNVERIFIED)
                return s.store.fetch_listing()
        acked = s.clock()
        s.store.cache_written(full)
        granted = [next((f for f in full if f.ref == c.ref), c) for c in claims]
        s.unverified.update((g.ref, g) for g in granted)
        if not all(leases.acked_within_lease(acked, c.lease_end) for c in pending):
            verdict = verify(s, granted, s.store.fetch_listing(wrote=full), waiting)
            if verdict is not None:
                return verdict
        s.verified(granted)
        return granted
    raise CannotVerify(
        "could not extend the verified claim to its lease; it expires in "
        f"{format_duration(pending[0].lease_seconds)}",
        fix="run the same `git claim` again (it renews in place)",
    )
