"""The protocol's lease and wait-die decisions (gitcoord/protocol/leases.py) at fixed times.

Pure functions of real Claim records, a Listing and the time `at`: no git, no sleeps, no
mocks. Each case sits a little before and a little after a boundary, so a decision that
moved by a second fails.
"""

from __future__ import annotations

import pytest

from gitcoord.core import refnames
from gitcoord.core.claim import PROVISIONAL_SECONDS, Claim
from gitcoord.core.identity import Identity
from gitcoord.core.modes import Mode
from gitcoord.core.paths import ClaimPath
from gitcoord.core.wording import describe
from gitcoord.protocol.leases import (
    Blocked,
    Contention,
    acked_within_lease,
    blockers,
    contend,
    plan_claims,
    renews_continuously,
)
from gitcoord.protocol.types import Request
from gitcoord.store.listing import Listing

T0 = 1_800_000_000.0  # a fixed "now" for every case
SKEW = 5.0
ME = Identity("alice", "host-a", "/w/a", "s1")


def _claim(
    agent: str,
    path: str,
    *,
    at: float = T0,
    ttl: int = 600,
    mode: Mode = Mode.WRITE,
    provisional: bool = False,
    priority_at: float | None = None,
    session: str = "s",
) -> Claim:
    p = ClaimPath.parse_stored(path)
    base = Claim(
        id=f"id-{agent}",
        path=p,
        mode=mode,
        agent=agent,
        host="h",
        worktree="/w",
        session=session,
        reason="",
        ttl=ttl,
        created_at=at,
        expires_at=at + ttl,
        priority_at=at if priority_at is None else priority_at,
        ref=refnames.claim_ref(p.key, mode, agent, session),
        oid=f"{agent}-{path}-{at}",
    )
    return base.renewed(at, ttl, provisional=True) if provisional else base


def _listing(*claims: Claim, seen_at: float = T0) -> Listing:
    listing = Listing(list(claims), [], fetched_at=seen_at)
    listing.seen = {c.oid: seen_at for c in claims}  # when this clone first saw each
    return listing


def _plan(listing: Listing, at: float, *paths: str) -> tuple[list[Claim], list[Claim]]:
    requests = [Request(ClaimPath.parse_stored(p), Mode.WRITE) for p in paths]
    return plan_claims(
        requests, listing, ME, at=at, skew=SKEW, ttl=3600, reason="r", priority_at=at
    )


def test_a_live_claim_blocks_until_its_lease_and_the_skew_have_passed() -> None:
    bobs = _claim("bob", "src/x.py", ttl=60, session="s1")  # same session name, other agent
    listing = _listing(bobs)
    with pytest.raises(Blocked) as blocked:
        _plan(listing, T0 + 60 + SKEW, "src/x.py")  # the last instant of the allowance
    assert blocked.value.holders == [bobs]
    claims, taken = _plan(listing, T0 + 60 + SKEW + 0.001, "src/x.py")
    assert taken == [bobs]
    assert [(c.agent, c.provisional, c.lease_end) for c in claims] == [
        ("alice", True, T0 + 60 + SKEW + 0.001 + PROVISIONAL_SECONDS)
    ]


def test_expiry_also_waits_for_this_clones_own_sighting_of_the_claim() -> None:
    bobs = _claim("bob", "src/x.py", ttl=60, session="s1")
    late = T0 + 100  # first seen long after its creation (a clock ahead, or a slow fetch)
    listing = _listing(bobs, seen_at=late)
    with pytest.raises(Blocked):
        _plan(listing, late + 60 + SKEW, "src/x.py")
    assert listing.takeover_at(bobs, SKEW) == late + 60 + SKEW
    assert _plan(listing, late + 60 + SKEW + 0.001, "src/x.py")[1] == [bobs]


def test_re_claiming_my_own_claim_renews_it_in_place() -> None:
    mine = _claim("alice", "src/x.py", session="s1")
    claims, taken = _plan(_listing(mine), T0 + 10, "src/x.py")
    assert taken == []
    assert [(c.id, c.ref, c.created_at) for c in claims] == [(mine.id, mine.ref, T0 + 10)]


def test_blockers_count_a_claim_within_the_skew_allowance() -> None:
    bobs = _claim("bob", "src/", ttl=60)
    listing = _listing(bobs)
    request = [Request(ClaimPath.parse_stored("src/x.py"), Mode.WRITE)]
    assert blockers(request, listing, ME, T0 + 60 + SKEW, SKEW) == [bobs]
    assert blockers(request, listing, ME, T0 + 60 + SKEW + 0.001, SKEW) == []


def _contend(mine: Claim, other: Claim, *, at: float, holding: bool = False) -> Contention:
    verdict, _found = contend(
        [mine],
        _listing(mine, other),
        ME,
        at=at,
        skew=SKEW,
        contend_until=T0 + 3,
        holding=holding,
    )
    return verdict


def test_wait_die_waits_briefly_for_younger_provisional_contenders_only() -> None:
    mine = _claim("alice", "src/", provisional=True, priority_at=T0 - 10, session="s1")
    younger = _claim("bob", "src/x.py", provisional=True, priority_at=T0 - 5)
    older = _claim("bob", "src/x.py", provisional=True, priority_at=T0 - 20)
    granted = _claim("bob", "src/x.py", priority_at=T0 - 5)
    assert _contend(mine, younger, at=T0) is Contention.WAIT
    assert _contend(mine, younger, at=T0 + 3) is Contention.YIELD  # no time left to wait
    assert _contend(mine, older, at=T0) is Contention.YIELD
    assert _contend(mine, granted, at=T0) is Contention.YIELD
    unrelated = _claim("bob", "docs/", provisional=True)
    assert _contend(mine, unrelated, at=T0) is Contention.HOLD


def test_a_live_renewal_ignores_provisional_contenders_but_not_granted_ones() -> None:
    mine = _claim("alice", "src/", priority_at=T0 - 10, session="s1")
    older = _claim("bob", "src/x.py", provisional=True, priority_at=T0 - 20)
    granted = _claim("bob", "src/x.py", priority_at=T0 - 20)
    assert _contend(mine, older, at=T0, holding=True) is Contention.HOLD
    assert _contend(mine, granted, at=T0, holding=True) is Contention.YIELD


def test_a_renewal_is_continuous_only_before_the_lease_end_minus_skew() -> None:
    c = _claim("alice", "src/", ttl=60, session="s1")
    assert renews_continuously(c, T0 + 60 - SKEW - 0.001, SKEW)
    assert not renews_continuously(c, T0 + 60 - SKEW, SKEW)
    assert not renews_continuously(c._replace(provisional=True), T0, SKEW)
    assert acked_within_lease(T0 + 59.999, c.lease_end)
    assert not acked_within_lease(T0 + 60, c.lease_end)


def test_the_wording_says_when_this_clone_may_take_an_expired_claim_over() -> None:
    bobs = _claim("bob", "src/x.py", ttl=60)
    assert describe(bobs, T0 + 30) == "src/x.py is claimed by bob (write, expires in 30s)"
    assert describe(bobs, T0 + 70, T0 + 90) == (
        "src/x.py is claimed by bob (write, expired 10s ago; this clone may take it over in "
        "20s, after the skew allowance and its own sighting of the claim for its lease)"
    )
