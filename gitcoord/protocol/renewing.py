"""A renewal is a write: it holds only after a read taken after its push shows no conflict.
One whose lease had ended (or was never verified) is a new claim: pushed provisional,
verified, then granted."""

from __future__ import annotations

from collections.abc import Sequence

from gitcoord.core.auditlog import entry_messages
from gitcoord.core.claim import Claim
from gitcoord.core.errors import Refused
from gitcoord.core.paths import ClaimPath
from gitcoord.protocol import leases, messages
from gitcoord.protocol.granting import NO_WAITING, grant, verify
from gitcoord.protocol.session import Session
from gitcoord.protocol.updates import (
    Mine,
    Planned,
    kept_rejecting,
    leased_update,
    not_held,
    report_lost,
    select_mine,
)
from gitcoord.store.listing import Listing


def renew(
    s: Session, paths: Sequence[ClaimPath] | None, ttl: int | None, reason: str | None = None
) -> list[Claim]:
    """Extend my claims (all, or those on `paths`), to `ttl` seconds if given, carrying
    the new `reason` if given."""
    held = s.store.held()
    continuous: dict[str, float] = {}  # ref -> the lease end of the version renewed

    def plan(listing: Listing, at: float) -> Planned[Mine]:
        mine = select_mine(s, paths, listing, held, "--renew")
        continuous.clear()
        fresh = []
        for c in mine.targets:
            live = leases.renews_continuously(c, at, s.skew)
            if live:
                continuous[c.ref] = c.lease_end
            version = c.renewed(at, ttl, provisional=not live)
            fresh.append(version if reason is None else version._replace(reason=reason))
        if not fresh:
            return Planned([], mine, listing)
        messages = entry_messages("renew", s.me, fresh, at=at, reason=reason or "")
        written, updates = s.write(fresh, [c.oid for c in mine.targets], listing, messages)
        return Planned(updates, Mine(written, mine.lost), listing)

    try:
        done = leased_update(s, plan, kept_rejecting)
        renewed = _settle(s, done.outcome.targets, continuous) if done.outcome.targets else []
    except BaseException:
        s.retract_unverified()
        raise
    report_lost(s, done.outcome.lost, done.listing, len(renewed), "renewed")
    return renewed


def _settle(s: Session, renewed: list[Claim], continuous: dict[str, float]) -> list[Claim]:
    """The read after a renewal's write; then grant the ones that were new writes.

    A renewal acknowledged after the lease it renewed had ended was not continuous
    after all (a slow link, a suspended laptop): a claim may have been granted over it
    meanwhile, so it is verified like a new claim, and withdrawn if one was."""
    acked = s.clock()
    held = [
        c
        for c in renewed
        if c.ref in continuous and leases.acked_within_lease(acked, continuous[c.ref])
    ]
    new = [c for c in renewed if c not in held]
    s.unverified.update((c.ref, c) for c in new)
    listing = s.store.fetch_listing(wrote=renewed)
    out: list[Claim] = []
    for group, holding in ((held, True), (new, False)):
        if group:
            out += _settle_group(s, group, listing, holding=holding)
    s.store.record_held(out)
    order = {c.ref: n for n, c in enumerate(renewed)}
    return sorted(out, key=lambda c: order.get(c.ref, 0))


def _settle_group(
    s: Session, group: list[Claim], listing: Listing, *, holding: bool
) -> list[Claim]:
    try:
        verdict = verify(s, group, listing, NO_WAITING, holding=holding)
    except Refused as exc:
        s.store.forget_held([c.ref for c in group])
        raise messages.superseded(group[0], exc) from None
    # No deadline, so a conflict raised above; a Listing means one was taken from
    # under me before the read (only through an expiry, or a break).
    granted = verdict if verdict is not None else group
    if not holding and verdict is None:
        granted = grant(s, group, listing, NO_WAITING)
    if isinstance(granted, Listing):
        s.store.forget_held([c.ref for c in group])
        raise not_held(s, group[0].path, "--renew", granted)
    return granted
