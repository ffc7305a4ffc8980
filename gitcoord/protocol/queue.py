"""Fair waiting (docs/design.md, "Waiting"): a `--wait` claimer publishes itself as a waiter
at refs/claim-waiters/<holderkey> while it waits, and claimers defer to waiters.

- A waiting claimer defers to the live waiters of other holders that rank ahead of it
  (priority class, then who waited first, then holder: a total order) on an overlapping
  path in an incompatible mode.
- A new read or intent claim that does not wait defers to a waiting writer that has waited
  past `[claims] promote_after` on an overlapping path: it is refused naming the writer, so
  readers that keep arriving cannot starve it.
- No waiting claimer defers to a waiter that waits for a claim of its own: that would be a
  deadlock. A claim that does not wait defers all the same (it is refused, never stuck), so
  a reader holding the path cannot keep adding claims past a promoted writer.

Both are judged in the read after the claim's write (a fresh view), like conflicting
claims. Waiters never make a claim hold: that still needs the conflict-free read after
write, so safety does not depend on them. The waiter ref is renewed while it waits (a
killed waiter's lapses within core/waiter.LEASE_SECONDS + clock_skew) and removed with a
leased delete when the claim is granted or given up.
"""

from __future__ import annotations

from collections.abc import Sequence

from gitcoord.core import refnames
from gitcoord.core.claim import MAX_OBJECT_BYTES, Claim, new_nonce
from gitcoord.core.errors import GitcoordError
from gitcoord.core.identity import Identity
from gitcoord.core.timeutil import from_iso, to_iso
from gitcoord.core.waiter import LEASE_SECONDS, PRIORITIES, Waiter
from gitcoord.git.transport import RefUpdate
from gitcoord.protocol.session import Session
from gitcoord.protocol.types import Request
from gitcoord.store.listing import Listing


def rank(priority: str, since: float, me: Identity) -> tuple[int, float, str, str]:
    """My place in the queue (core/waiter.Waiter.rank), as a waiter of `priority` since
    `since`: the time as my waiter stores it (milliseconds), so that I rank myself exactly
    as the others rank me. (Two waiters starting within a millisecond, each comparing its
    own exact time with the other's stored one, could each find the other ahead: a
    deadlock until both gave up.)"""
    return (-PRIORITIES.index(priority), from_iso(to_iso(since)), me.agent, me.session)


def deferred_to(
    requests: Sequence[Request],
    listing: Listing,
    me: Identity,
    *,
    at: float,
    skew: float,
    promote_after: float,
    queued: tuple[int, float, str, str] | None,
    attempt: Sequence[Claim] = (),
) -> list[Waiter]:
    """The live waiters a claim of `requests` defers to now, first in line first: with
    `queued` (my rank: I wait too) those ranked ahead of me, else promoted writers that
    a read or intent request meets. `attempt`: my claims just written for `requests`
    (they are not claims a waiter could be waiting for)."""
    if not listing.waiters:
        return []
    written = {c.ref for c in attempt}
    mine = [
        c
        for c in listing.live(at, skew)
        if c.agent == me.agent and c.session == me.session and c.ref not in written
    ]
    out = []
    for w in listing.live_waiters(at, skew):
        if (w.agent, w.session) == (me.agent, me.session):
            continue
        if queued is not None and any(w.conflicts(c.path, c.mode) for c in mine):
            continue  # it waits for me while I wait: deferring to it would be a deadlock
        if queued is not None:
            ahead = w.rank() < queued and any(w.conflicts(r.path, r.mode) for r in requests)
        else:
            promoted = w.mode.exclusive and at - w.since > promote_after
            ahead = promoted and any(
                not r.mode.exclusive and w.conflicts(r.path, r.mode) for r in requests
            )
        if ahead:
            out.append(w)
    return out


def keep_published(
    s: Session, requests: Sequence[Request], priority: str, since: float, listing: Listing
) -> None:
    """Publish my waiter, or renew it once half its lease has passed (or when the listing
    no longer shows it: swept, or never landed), leased on what `listing` shows at its ref.
    Best effort: a waiter orders the queue, it never decides a claim."""
    if s.unseen:
        return
    at = s.clock()
    ref = refnames.waiter_ref(s.me.agent, s.me.session)
    there = next((w for w in listing.waiters if w.ref == ref), None)
    invalid = next((i for i in listing.invalid if i.ref == ref), None)
    old = there.oid if there else invalid.oid if invalid else None
    current = s.waiter
    if current is not None and old == current.oid and at < current.created_at + LEASE_SECONDS / 2:
        return
    waiter = Waiter(
        agent=s.me.agent,
        session=s.me.session,
        host=s.me.host,
        paths=tuple(r.path for r in requests),
        mode=requests[0].mode,
        priority=priority,
        since=since,
        created_at=at,
        expires_at=at + LEASE_SECONDS,
        nonce=new_nonce(),
        ref=ref,
    )
    message = waiter.message()
    if len(message.encode()) > MAX_OBJECT_BYTES - 1024:
        s.unseen = True  # too many paths to publish: this claim waits unseen
        return
    oid = s.store.write_log_entry(message, None)  # a parentless empty-tree commit
    try:
        landed = s.push([RefUpdate(ref, oid, old)]).landed
    except GitcoordError as exc:  # refused by the server, or unreachable: wait unseen
        s.progress(f"note: could not publish this claim's place in the queue ({exc.message})")
        s.unseen = True  # (withdraw still removes what was published before)
        return
    # Not landed (a stale lease: a sweeper, or my other process; or no answer): the next
    # poll's fresh listing tries again, and withdraw removes what is mine.
    s.waiter = waiter._replace(oid=oid) if landed else current


def withdraw(s: Session) -> None:
    """Remove my published waiter, leased on its OID (a sweeper may have removed it
    already). Best effort: a waiter left behind lapses with its short lease."""
    waiter, s.waiter, s.unseen = s.waiter, None, False
    if waiter is None:
        return
    try:
        s.store.push([RefUpdate(waiter.ref, None, waiter.oid)])
    except Exception as exc:
        s.progress(
            f"note: could not remove this claim's waiter {waiter.ref} ({exc}); "
            f"it lapses within {LEASE_SECONDS}s"
        )
