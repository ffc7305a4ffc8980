"""Leased updates of claims that exist: renew, release and break, all on one loop.

Each round plans its updates from a fresh listing (leased on the OIDs it saw) and pushes
them in one atomic push. A stale lease replans. A push that got no answer may still have
landed (the connection dropped after the server applied it, or it is applied after the
client gave up): every later listing is judged for it, and the command succeeds if it did.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Generic, NamedTuple, TypeVar

from gitcoord.core.auditlog import fate
from gitcoord.core.claim import Claim, Holder
from gitcoord.core.errors import CannotVerify, Refused
from gitcoord.core.paths import ClaimPath
from gitcoord.git.transport import PushOutcome, PushResult, RefUpdate
from gitcoord.protocol import messages
from gitcoord.protocol.session import MAX_TRANSPORT_RETRIES, Session
from gitcoord.store.heldrecord import HeldClaim
from gitcoord.store.listing import Listing

T = TypeVar("T")


class Planned(NamedTuple, Generic[T]):
    """One round's updates (none: nothing to push) and what the command reports if they land."""

    updates: list[RefUpdate]
    outcome: T
    listing: Listing  # the listing they were planned on


def _as_left(planned: Planned[T], listing: Listing, log_ref: str) -> bool:
    """Whether `listing` shows `planned` landed: my log tip is its entry (pushed atomically
    with the rest), or every claim ref is as the push would have left it."""
    return _log_tip_is(planned, listing, log_ref) or all(
        (u.new is None and u.ref not in listing.by_ref)
        or (u.new is not None and getattr(listing.by_ref.get(u.ref), "oid", "") == u.new)
        for u in planned.updates
        if u.ref != log_ref
    )


def _log_tip_is(planned: Planned[T], listing: Listing, log_ref: str) -> bool:
    return any(u.ref == log_ref and u.new == listing.log_tip for u in planned.updates)


def leased_update(
    s: Session,
    plan: Callable[[Listing, float], Planned[T]],
    give_up: Callable[[PushResult], CannotVerify],
) -> Planned[T]:
    """Push `plan`'s updates until they land; what landed (or the plan with no updates).

    After an unanswered push the remote is read again and judged by what is there. An
    earlier unanswered push may land later still: my log tip showing its entry says so (a
    later round's push, leased on the same tip, then failed as stale)."""
    unanswered: list[Planned[T]] = []
    listing = s.store.fetch_listing()
    result: PushResult | None = None
    for _ in range(MAX_TRANSPORT_RETRIES + 2):
        planned = plan(listing, s.clock())
        if not planned.updates:
            return planned
        result = s.push(planned.updates)
        if result.outcome is PushOutcome.LANDED:
            return planned
        listing = s.store.fetch_listing()
        log_ref = s.store.my_log_ref
        if result.outcome is PushOutcome.UNANSWERED:
            if _as_left(planned, listing, log_ref):
                return planned
            unanswered.append(planned)
        for earlier in unanswered:
            if _log_tip_is(earlier, listing, log_ref):
                return earlier
    assert result is not None
    raise give_up(result)


def kept_rejecting(result: PushResult) -> CannotVerify:
    said = "; ".join(s.summary for s in result.culprits()) or result.result.err.strip()
    return CannotVerify(
        f"the remote kept rejecting this update: {said[-300:]}",
        fix="retry the command; if it persists, ask the server's admin to check its logs "
        "(a crashed git process can leave a stale .lock file in the repository)",
    )


class Mine(NamedTuple):
    """My claims that a renewal or release acts on, and the granted ones that are gone."""

    targets: list[Claim]
    lost: list[HeldClaim]


def select_mine(
    s: Session,
    paths: Sequence[ClaimPath] | None,
    listing: Listing,
    held: dict[str, HeldClaim],
    verb: str,
) -> Mine:
    """My claims (all, or those on `paths`) and my granted claims no longer on the remote.
    Raises for a path I hold nothing on and never held (`verb`: the command, for the fix)."""
    mine = [c for c in listing.claims if s.mine(c)]
    wanted = {p.key for p in paths} if paths is not None else None
    # In the order the paths were given: the command reports them so.
    chosen = dict.fromkeys(paths or ())
    targets = mine if paths is None else [c for p in chosen for c in mine if c.path.key == p.key]
    now_mine = {(c.ref, c.id) for c in mine}
    lost = [
        h
        for h in held.values()
        if (h.ref, h.id) not in now_mine
        and (wanted is None or ClaimPath.parse_stored(h.path).key in wanted)
    ]
    lost_keys = {ClaimPath.parse_stored(h.path).key for h in lost}
    found = {c.path.key for c in targets}
    for p in chosen:
        if p.key not in found and p.key not in lost_keys:
            raise not_held(s, p, verb, listing)
    return Mine(targets, lost)


def not_held(s: Session, path: ClaimPath, verb: str, listing: Listing) -> Refused:
    """Who holds `path` instead of me; when nobody does, what the audit log says became of
    my last claim on it (fetching every agent's log: only on this refusal's path)."""
    others = [c for c in listing.claims if c.path.key == path.key and not s.mine(c)]
    me = s.holder

    def my_claim_there(summary: dict[str, Any]) -> bool:
        return _by(me, summary) and _path_key(summary) == path.key

    found = None if others else fate(s.audit_trail(), my_claim_there)
    return messages.not_held(path, others, s.clock(), me, verb, found)


def _path_key(summary: dict[str, Any]) -> str | None:
    try:
        return ClaimPath.parse_stored(str(summary.get("path", ""))).key
    except ValueError:
        return None


def report_lost(
    s: Session, lost: Sequence[HeldClaim], listing: Listing, done: int, verb: str
) -> None:
    """Raise for the claims I was granted that are no longer mine on the remote, naming
    who broke (and why) or took them (from the audit trail) and who holds the path now.
    Claims my own session released or retracted (a command killed before it noted so) are
    not lost. Every one is forgotten: a loss is reported once."""
    if not lost:
        return
    at = s.clock()
    s.store.forget_held([h.ref for h in lost])
    trail = s.audit_trail()
    me = s.holder
    gone: list[tuple[str, str]] = []
    modes: list[str] = []
    for h in lost:
        found = fate(trail, partial(_is_version_of, claim_id=h.id, me=me))
        if found is not None and found.event in ("release", "retract"):
            continue
        taken = found is not None and found.event in ("break", "take")
        gone.append((h.path, messages.removal(found) if found and taken else EXPIRED))
        modes.append(found.mode if found else "write")
    if not gone:
        return
    key = ClaimPath.parse_stored(gone[0][0]).key
    others = [
        s.describe(c, at, listing) for c in listing.claims if c.path.key == key and not s.mine(c)
    ]
    raise messages.lost(gone, others, done, verb, modes[0])


EXPIRED = "it expired and was removed"


def _is_version_of(summary: dict[str, Any], claim_id: str, me: Holder) -> bool:
    """Whether a log entry's claim summary is a version of my claim `claim_id`."""
    return summary.get("id") == claim_id and _by(me, summary)


def _by(me: Holder, summary: dict[str, Any]) -> bool:
    """Whether a log entry's claim summary is of a claim `me` held (remote data: compared,
    never trusted to be strings)."""
    return me == (summary.get("agent"), summary.get("session"))
