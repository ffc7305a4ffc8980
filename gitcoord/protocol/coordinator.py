"""The claim protocol (docs/design.md, "Protocol"): claim, renew, release and break.

The pieces, each small enough to read at once:
- claiming.py: one claim call (ClaimAttempt): plan, push provisional, read after write;
- granting.py: verify by that read (wait-die), wait or refuse, grant the full lease;
- leases.py: the lease and wait-die decisions, pure functions of claims and a time;
- updates.py: the one leased-update loop that renew, release and break push through;
- renewing.py: a renewal, verified like a write;
- queue.py: fair waiting: a --wait claim's published place in the queue, and who defers;
- session.py: what they share (identity, storage, clock, unverified pushes);
- messages.py: every refusal's wording; storage.py: the storage interface they need.

A claim is pushed *provisional* (a short lease) and extended to its TTL only once a read
after the write verified it, so a client killed in between blocks others briefly, not for
its TTL. Safety never depends on clocks: holding always requires an empty conflict set in a
listing taken after my own write.
"""

from __future__ import annotations

from collections.abc import Sequence

from gitcoord.core import refnames
from gitcoord.core.auditlog import entry_messages
from gitcoord.core.claim import Claim
from gitcoord.core.errors import CannotVerify, Refused
from gitcoord.core.paths import ClaimPath, overlaps
from gitcoord.core.waiter import DEFAULT_PRIORITY
from gitcoord.core.wording import describe
from gitcoord.git.transport import RefUpdate
from gitcoord.protocol import leases, messages, queue, renewing
from gitcoord.protocol.claiming import ClaimAttempt
from gitcoord.protocol.session import Session
from gitcoord.protocol.types import BreakOutcome, ClaimOutcome, Request, Riders
from gitcoord.protocol.updates import (
    Mine,
    Planned,
    kept_rejecting,
    leased_update,
    report_lost,
    select_mine,
)
from gitcoord.store.listing import Listing

__all__ = ["BreakOutcome", "ClaimOutcome", "Coordinator", "Request", "describe"]


class Coordinator(Session):
    """The protocol's commands; constructed as Session (store, config, me, clock, ...)."""

    def claim(
        self,
        requests: Sequence[Request],
        *,
        ttl: int,
        reason: str,
        wait: float | None = None,
        riders: Riders | None = None,
        also: Sequence[str] = (),
        priority: str = DEFAULT_PRIORITY,
    ) -> ClaimOutcome:
        """Claim every request, all or nothing. `wait` (seconds, may be inf) queues until
        free, published as a waiter of `priority` (queue.py) once blocked. If anything
        stops it half-way (an interrupt, SIGTERM, an error), what it pushed and did not
        verify is retracted first. `riders` go in the first push (types.Riders); `also`,
        refspecs, in the read after it (the base branch, for the freshness check). The
        waiter is removed when the claim is granted or given up."""
        try:
            attempt = ClaimAttempt(
                self,
                requests,
                ttl=ttl,
                reason=reason,
                wait=wait,
                riders=riders,
                also=also,
                priority=priority,
            )
            outcome = attempt.run()
        except BaseException:
            self.retract_unverified()
            queue.withdraw(self)
            raise
        queue.withdraw(self)
        return outcome

    def renew(
        self,
        paths: Sequence[ClaimPath] | None,
        ttl: int | None = None,
        reason: str | None = None,
    ) -> list[Claim]:
        """Extend my claims (all, or those on `paths`); see renewing.py."""
        return renewing.renew(self, paths, ttl, reason)

    def check(
        self, requests: Sequence[Request], also: Sequence[str] = ()
    ) -> tuple[list[Claim], Refused | None]:
        """The live claims that would block a claim of `requests` now, and the refusal a
        claim would meet (None when they are free; a promoted waiting writer refuses a
        read or intent claim, queue.py): one fetch (bringing `also` refspecs too), nothing
        pushed."""
        listing = self.store.fetch_listing(also=also)
        at = self.clock()
        found = leases.blockers(requests, listing, self.me, at, self.skew)
        if not found:
            promote_after = float(self.config.claims.promote_after)
            ahead = queue.deferred_to(
                requests,
                listing,
                self.me,
                at=at,
                skew=self.skew,
                promote_after=promote_after,
                queued=None,
            )
            if not ahead:
                return [], None
            return [], messages.behind_waiters(
                ahead, requests, at, promote_after, waited=False, checked=True
            )
        refusal = messages.blocked(
            found, requests, at, listing, self.skew, waited=False, me=self.holder, checked=True
        )
        return found, refusal

    def release(
        self, paths: Sequence[ClaimPath] | None, commit: str | None = None, note: str = ""
    ) -> list[Claim]:
        """Delete my claims (all, or those on `paths`); the audit entry records the
        `commit` that landed the work and the holder's `note`."""
        held = self.store.held()

        def plan(listing: Listing, at: float) -> Planned[Mine]:
            mine = select_mine(self, paths, listing, held, "-d")
            if not mine.targets:
                return Planned([], mine, listing)
            updates = [RefUpdate(c.ref, None, c.oid) for c in mine.targets]
            entries = entry_messages(
                "release", self.me, mine.targets, at=at, reason=note, commit=commit
            )
            updates.append(self.log_update(listing, entries))
            return Planned(updates, mine, listing)

        done = leased_update(self, plan, kept_rejecting)
        released = done.outcome.targets
        self.store.forget_held([c.ref for c in released])
        report_lost(self, done.outcome.lost, done.listing, len(released), "released")
        return released

    def break_claims(self, path: ClaimPath, reason: str) -> BreakOutcome:
        """Delete every claim of another holder on `path` (and unreadable objects at its
        write ref), recorded in my audit log with `reason`."""
        if not self.config.claims.allow_break:
            raise messages.breaking_not_allowed(path)
        write_ref = refnames.WRITE + refnames.path_key(path.key)

        def plan(listing: Listing, at: float) -> Planned[BreakOutcome]:
            targets = [c for c in listing.claims if c.path.key == path.key and not self.mine(c)]
            junk = [i for i in listing.invalid if i.ref == write_ref]
            newer = [i for i in junk if i.newer_format]
            if newer:
                raise messages.newer_format(newer[0], str(path))
            if not targets and not junk:
                raise self._nothing_to_break(path, listing, reason)
            updates = [RefUpdate(c.ref, None, c.oid) for c in targets]
            updates += [RefUpdate(i.ref, None, i.oid) for i in junk]
            entries = entry_messages("break", self.me, [], at=at, reason=reason, previous=targets)
            updates.append(self.log_update(listing, entries))
            return Planned(updates, BreakOutcome(targets, junk), listing)

        def give_up(_result: object) -> CannotVerify:
            return CannotVerify("the remote kept changing while breaking", fix="retry the command")

        return leased_update(self, plan, give_up).outcome

    def _nothing_to_break(self, path: ClaimPath, listing: Listing, reason: str) -> Refused:
        """No other holder claims `path` itself: name a claim covering it (a directory
        above) or inside it, the nearest first, or say it is my own."""
        near = sorted(
            (
                c
                for c in listing.claims
                if c.path.key != path.key and overlaps(c.path, path) and not self.mine(c)
            ),
            key=lambda c: (len(c.path.parts) > len(path.parts), -len(c.path.parts)),
        )
        mine = any(c.path.key == path.key for c in listing.claims)
        return messages.no_break_target(path, near, reason, mine, self.holder)
