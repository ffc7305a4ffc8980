"""One `claim` call: plan provisional claims, push them in one atomic write, read after the
write, verify (wait-die) and grant; retried from a fresh listing whenever a step loses.

Same-ref conflicts (two writers of one path) are refused by the server's compare-and-swap.
Conflicts across refs (a directory and a file in it, a writer and a reader) use write, then
read: one atomic push creates all my refs, then a fresh listing taken after the push is
acknowledged must show no live conflicting claim, else I retract with a leased delete.
"""

from __future__ import annotations

from collections.abc import Sequence

from gitcoord.core.auditlog import entry_messages
from gitcoord.core.claim import Claim
from gitcoord.core.errors import CannotVerify, Refused
from gitcoord.core.timeutil import from_iso, to_iso
from gitcoord.core.waiter import DEFAULT_PRIORITY
from gitcoord.git.transport import PushOutcome, PushResult, git_said
from gitcoord.protocol import leases
from gitcoord.protocol.granting import Waiting, grant, verify, wait_or_refuse
from gitcoord.protocol.session import MAX_TRANSPORT_RETRIES, Session, holds
from gitcoord.protocol.types import ClaimOutcome, Request, Riders, RidersStale
from gitcoord.store.listing import Listing

MAX_STALE_RETRIES = 12


class ClaimAttempt:
    """The state of one claim call across its retries: what is asked, until when it may
    wait, and how often each kind of failure has happened."""

    def __init__(
        self,
        s: Session,
        requests: Sequence[Request],
        *,
        ttl: int,
        reason: str,
        wait: float | None,
        riders: Riders | None = None,
        also: Sequence[str] = (),
        priority: str = DEFAULT_PRIORITY,
    ) -> None:
        self.s = s
        self.riders = riders
        self.also = also  # refspecs every fetch of the claim brings too (Coordinator.claim)
        self.requests = list(dict.fromkeys(requests))
        self.ttl = ttl
        self.reason = reason
        # The first attempt's time is my wait-die priority for every retry, to the
        # millisecond as the claim stores it: others compare my stored time with theirs, so
        # I must too (else two contenders within a millisecond may both yield).
        started = from_iso(to_iso(s.clock()))
        deadline = started + wait if wait is not None else None
        self.waiting = Waiting(self.requests, deadline, started, priority, claim=True)
        self.attempts = 0
        self.stale = 0  # pushes whose leases had gone stale
        self.transport_failures = 0  # unanswered pushes that did not land
        self.fetched = False  # whether the listing in hand is a fresh fetch

    def run(self) -> ClaimOutcome:
        # Planning needs only my refs' last known values and my log tip; the conflict check
        # after the push reads every claim from a fresh fetch.
        mine = [leases.my_ref(r, self.s.me) for r in self.requests]
        step: Listing | ClaimOutcome = self.s.store.read_listing(only=mine)
        while isinstance(step, Listing):
            self.attempts += 1
            step = self._once(step)
        return step

    def _fetch(self, wrote: Sequence[Claim] = ()) -> Listing:
        self.fetched = True
        return self.s.store.fetch_listing(wrote=wrote, also=self.also)

    def _once(self, listing: Listing) -> Listing | ClaimOutcome:
        """One attempt from `listing`: the outcome, or the listing to try again from."""
        s = self.s
        at = s.clock()
        try:
            claims, previous = leases.plan_claims(
                self.requests,
                listing,
                s.me,
                at=at,
                skew=s.skew,
                ttl=self.ttl,
                reason=self.reason,
                priority_at=self.waiting.started,
            )
        except leases.Blocked as blocked:
            if not self.fetched:
                return self._fetch()  # my refs as last fetched may be stale: look again
            return wait_or_refuse(s, self.waiting, blocked.holders, listing)
        messages = entry_messages(
            "claim", s.me, claims, at=at, reason=self.reason, previous=previous
        )
        olds = [_oid_at(listing, c.ref) for c in claims]
        claims, updates = s.write(claims, olds, listing, messages)
        # From here the claims may be on the remote (an interrupted push may still land):
        # an interrupt retracts them, leased on their new OIDs, so only if they landed.
        s.unverified.update((c.ref, c) for c in claims)
        riding = self.riders.updates if self.riders and not self.riders.landed else []
        try:
            result = s.push([*updates, *riding])
        except Refused as refused:
            s.verified(claims)  # refused: nothing of it landed
            return self._refused(refused)
        if result.outcome is PushOutcome.STALE:
            s.verified(claims)  # rejected: nothing of it landed
            culprits = {c.ref for c in result.culprits()}
            if self.riders and culprits & self.riders.refs():
                raise RidersStale(culprits)
            return self._stale(result)
        # The read after my write (after an unanswered push, it also tells whether the push
        # landed: refs with my OIDs mean it did).
        listing = self._fetch(wrote=claims)
        if result.outcome is PushOutcome.UNANSWERED and not all(holds(listing, c) for c in claims):
            return self._not_landed(claims, listing, result)
        if self.riders:
            self.riders.landed = True  # one atomic push: the riders landed with the claims
        return self._settle(claims, previous, listing)

    def _refused(self, refused: Refused) -> Listing:
        """A server with gitcoord's hooks refuses an overlapping claim outright
        (docs/server.md): when a fresh listing shows the holder, this is an ordinary
        conflict, so wait (--wait) or refuse naming the holder."""
        listing = self._fetch()
        holders = leases.blockers(self.requests, listing, self.s.me, self.s.clock(), self.s.skew)
        if not holders:
            raise refused
        return wait_or_refuse(self.s, self.waiting, holders, listing)

    def _stale(self, result: PushResult) -> Listing:
        """A lease went stale (the remote changed since my listing): replan from a fresh one."""
        self.stale += 1
        if self.stale > MAX_STALE_RETRIES:
            raise CannotVerify(
                "the remote kept rejecting the claim push: "
                + "; ".join(s.summary for s in result.culprits()),
                fix="retry; if it persists, check the server's hooks and logs",
            )
        return self._fetch()

    def _not_landed(self, claims: list[Claim], listing: Listing, result: PushResult) -> Listing:
        # Whatever part of it did land.
        self.s.retract(claims, listing, why="its push got no answer and did not land whole")
        self.transport_failures += 1
        if self.transport_failures >= MAX_TRANSPORT_RETRIES:
            raise CannotVerify(
                "the claim push failed and did not land: " + git_said(result.result),
                fix="retry the same `git claim` command",
            )
        return listing

    def _settle(
        self, claims: list[Claim], previous: list[Claim], listing: Listing
    ) -> Listing | ClaimOutcome:
        """Verify what landed and grant it; or the listing to start again from."""
        verdict = verify(self.s, claims, listing, self.waiting)
        if verdict is not None:
            return verdict
        granted = grant(self.s, claims, listing, self.waiting)
        if isinstance(granted, Listing):
            return granted  # lost while provisional: start again
        self.s.store.record_held(granted)
        return ClaimOutcome(
            held=granted,
            taken_from=previous,
            attempts=self.attempts,
            waited=self.s.clock() - self.waiting.started,
        )


def _oid_at(listing: Listing, ref: str) -> str | None:
    existing = listing.by_ref.get(ref)
    return existing.oid if existing is not None else None
