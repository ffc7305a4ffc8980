"""The sweep behind `gitcoord gc`: delete what is dead under refs/claims/ on the remote.

Dead means no live holder and no newer client can need it (docs/design.md, "Sweep"):
- a claim this clone judges expired exactly as a claimer taking it over would
  (Listing.expired: lease end + clock_skew passed, and this clone has itself seen that
  very object for its lease + clock_skew; never a claim of my own session);
- a ref under refs/claims/w/ or refs/claims/s/ (the claim layout) whose object is not a
  readable claim (forged, damaged, a copy at the wrong ref), as `git claim --break`
  removes unreadable objects at a write ref; never a claim of a newer format;
- a ref that shadows the layout (`refs/claims/w` or `refs/claims/s` itself), which
  blocks every claim of its kind;
- a waiter (refs/claim-waiters/) whose lease + clock_skew has passed (a killed `--wait`),
  or that is unreadable. A waiter holds nothing, so its lease alone decides: removing one
  early would only cost it its place in the queue, which it takes again on its renewal.
Anything else under refs/claims/ is left alone: a newer gitcoord may use it.

Every delete is leased on the OID judged dead, so a claim renewed (or taken over)
meanwhile is never removed: its lease is stale, the atomic push fails whole, and the
sweep reads again and retries without it. Deletes go in batches, one atomic push each
with one `expire` entry on my audit chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from gitcoord.core import refnames
from gitcoord.core.auditlog import entry_chunks, entry_message
from gitcoord.core.claim import Claim
from gitcoord.core.errors import CannotVerify
from gitcoord.core.waiter import Waiter
from gitcoord.git.transport import PushOutcome, RefUpdate
from gitcoord.protocol.session import MAX_TRANSPORT_RETRIES, Session
from gitcoord.store.listing import InvalidRef, Listing

# Deletes per push. git (2.39) matches each refspec and each lease against every ref the
# remote advertises, so a push of B deletes to a remote of R refs costs about B x R: one
# push of 10,000 deletes of 10,000 refs took a minute here. Batches of 1,000 shrink R as
# they go (half the matching in all), keep each push well inside [remote] timeout (12 s
# at 10,000 refs here), and keep the argv (about 150 bytes a delete) small.
# A push that gets no answer within the timeout (a loaded machine, many refs) is retried
# in halves, down to MIN_BATCH.
BATCH = 1000
MIN_BATCH = 50
NAMED_INVALID = 20  # unreadable refs an entry's reason names
# The two namespaces of claim refs, and the refs that would shadow them.
LAYOUT = (refnames.WRITE, refnames.SHARED, refnames.WAITERS)
SHADOWS = (refnames.WRITE.rstrip("/"), refnames.SHARED.rstrip("/"))


class Dead(NamedTuple):
    """What a listing shows dead, and the unreadable refs left alone (with why)."""

    expired: list[Claim]
    invalid: list[InvalidRef]
    kept: list[InvalidRef]
    waiters: list[Waiter]

    def refs(self) -> list[InvalidRef | Waiter]:
        """What goes besides the claims: unreadable refs and dead waiters."""
        return [*self.invalid, *self.waiters]

    def without(self, done: set[str]) -> Dead:
        return Dead(
            [c for c in self.expired if c.ref not in done],
            [i for i in self.invalid if i.ref not in done],
            self.kept,
            [w for w in self.waiters if w.ref not in done],
        )


class Swept(NamedTuple):
    expired: list[Claim]  # removed (or, dry run, to remove)
    invalid: list[InvalidRef]
    kept: list[InvalidRef]
    pushes: int
    live: int  # claims left on the remote, as last read
    waiters: list[Waiter]  # dead waiters removed (or to remove)


def dead(listing: Listing, at: float, skew: float) -> Dead:
    expired = [c for c in listing.by_path() if listing.expired(c, at, skew)]
    invalid: list[InvalidRef] = []
    kept: list[InvalidRef] = []
    for i in listing.invalid:
        removable = not i.newer_format and (i.ref.startswith(LAYOUT) or i.ref in SHADOWS)
        (invalid if removable else kept).append(i)
    waiters = [w for w in listing.waiters if not w.is_live(at, skew)]
    return Dead(expired, invalid, kept, waiters)


def sweep(s: Session, *, dry_run: bool = False, fetched: Listing | None = None) -> Swept:
    """Delete every dead ref (dry run: only say which); what was removed. `fetched`: a
    listing fetched just now by the caller (with its own refs in the same fetch)."""
    listing = fetched if fetched is not None else s.store.fetch_listing()
    found = dead(listing, s.clock(), s.skew)
    if dry_run:
        live = _live(listing, found.expired)
        return Swept(found.expired, found.invalid, found.kept, 0, live, found.waiters)
    removed: list[Claim] = []
    junk: list[InvalidRef | Waiter] = []
    pushes = failures = 0
    size = BATCH
    tip = listing.log_tip
    while found.expired or found.refs():
        claims, refs = found.expired[:size], found.refs()[: size - len(found.expired[:size])]
        updates = [RefUpdate(c.ref, None, c.oid) for c in claims]
        updates += [RefUpdate(i.ref, None, i.oid) for i in refs]
        log = s.chained(_messages(s, claims, refs), tip)
        entry = log.new
        updates.append(log)
        result = s.push(updates)  # raises Refused when a server hook refuses
        pushes += 1
        if result.outcome is PushOutcome.LANDED:
            removed += claims
            junk += refs
            tip = entry
            found = found.without({u.ref for u in updates})
            continue
        # A stale lease (renewed, taken over or removed meanwhile) or no answer: read
        # again; what is still dead goes in the next push.
        listing = s.store.fetch_listing()
        if listing.log_tip == entry:  # it landed after all (the entry is in the same push)
            removed += claims
            junk += refs
        elif result.outcome is PushOutcome.UNANSWERED and size > MIN_BATCH:
            size = max(MIN_BATCH, size // 2)  # too slow for [remote] timeout: smaller pushes
        else:
            failures += 1
            if failures > MAX_TRANSPORT_RETRIES + 2:
                raise _gave_up(result.result.err)
        tip = listing.log_tip
        found = dead(listing, s.clock(), s.skew)
    bad = [i for i in junk if isinstance(i, InvalidRef)]
    gone = [w for w in junk if isinstance(w, Waiter)]
    return Swept(removed, bad, found.kept, pushes, _live(listing, removed), gone)


def _live(listing: Listing, gone: Sequence[Claim]) -> int:
    """The claims `listing` shows, less those `gone` (removed, or a dry run's to remove)."""
    refs = {c.ref for c in gone}
    return sum(1 for c in listing.claims if c.ref not in refs)


def _messages(
    s: Session, claims: Sequence[Claim], refs: Sequence[InvalidRef | Waiter]
) -> list[str]:
    """The `expire` entries of one push: the claims removed as `previous` (others' claims
    this agent removed, as a break's are), in entries small enough for the server hooks'
    bound on a log commit; the unreadable refs and dead waiters named in the first one's
    reason."""
    at = s.clock()
    reason = ""
    for kind, some in (
        ("unreadable claim", [i for i in refs if isinstance(i, InvalidRef)]),
        ("dead waiter", [w for w in refs if isinstance(w, Waiter)]),
    ):
        if some:
            named = ", ".join(i.ref for i in some[:NAMED_INVALID])
            more = f" (+{len(some) - NAMED_INVALID} more)" if len(some) > NAMED_INVALID else ""
            reason += f"removed {len(some)} {kind} ref(s): {named}{more}; "
    out = []
    for chunk in entry_chunks(claims) or [[]]:
        why = reason + "lease + clock_skew passed" if chunk else reason.removesuffix("; ")
        out.append(entry_message("expire", s.me, [], at=at, reason=why, previous=chunk))
        reason = ""
    return out


def _gave_up(said: str) -> CannotVerify:
    return CannotVerify(
        f"the remote kept changing while sweeping: {said.strip()[-300:]}",
        fix="run `gitcoord gc` again",
    )
