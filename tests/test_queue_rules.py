"""The queue's decisions (gitcoord/protocol/queue.deferred_to) at fixed times, and the
waiter object's parsing: pure functions of real Waiter and Claim records and a Listing, no
git, no sleeps. Each boundary is checked a little before and a little after."""

from __future__ import annotations

import pytest

from gitcoord.core import refnames
from gitcoord.core.claim import InvalidClaim
from gitcoord.core.config import parse_config
from gitcoord.core.errors import ConfigError
from gitcoord.core.identity import Identity
from gitcoord.core.modes import Mode
from gitcoord.core.paths import ClaimPath
from gitcoord.core.waiter import LEASE_SECONDS, Waiter, parse_waiter_commit
from gitcoord.protocol.queue import deferred_to, rank
from gitcoord.protocol.types import Request
from gitcoord.store.listing import Listing
from tests.test_protocol_clock import SKEW, T0, _claim

ME = Identity("alice", "host-a", "/w/a", "s1")
PROMOTE = 120.0
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def _waiter(
    agent: str, path: str, mode: Mode = Mode.WRITE, *, since: float = T0, priority: str = "normal"
) -> Waiter:
    return Waiter(
        agent=agent,
        session="s",
        host="h",
        paths=(ClaimPath.parse_stored(path),),
        mode=mode,
        priority=priority,
        since=since,
        created_at=T0,
        expires_at=T0 + LEASE_SECONDS,
        nonce="n",
        ref=refnames.waiter_ref(agent, "s"),
        oid=f"w-{agent}",
    )


def _defers(
    listing: Listing, path: str, mode: Mode, *, at: float, queued: bool = False
) -> list[str]:
    requests = [Request(ClaimPath.parse_stored(path), mode)]
    me = rank("normal", T0, ME) if queued else None
    found = deferred_to(requests, listing, ME, at=at, skew=SKEW, promote_after=PROMOTE, queued=me)
    return [w.agent for w in found]


def test_a_new_reader_defers_to_a_writer_only_once_it_waited_past_promote_after() -> None:
    listing = Listing([], [], T0, waiters=[_waiter("bob", "src/", since=T0 - 100)])
    assert _defers(listing, "src/api.py", Mode.READ, at=T0 + 19) == []
    assert _defers(listing, "src/api.py", Mode.READ, at=T0 + 21) == ["bob"]
    assert _defers(listing, "src/api.py", Mode.INTENT, at=T0 + 21) == ["bob"]
    assert _defers(listing, "docs/", Mode.READ, at=T0 + 21) == []  # no overlap
    # A writer that does not wait meets bob at the compare-and-swap, not in the queue.
    assert _defers(listing, "src/api.py", Mode.WRITE, at=T0 + 21) == []


def test_a_waiter_counts_until_its_lease_and_the_skew_have_passed() -> None:
    listing = Listing([], [], T0, waiters=[_waiter("bob", "src/", since=T0 - 200)])
    end = T0 + LEASE_SECONDS + SKEW
    assert _defers(listing, "src/", Mode.READ, at=end - 1) == ["bob"]
    assert _defers(listing, "src/", Mode.READ, at=end + 1) == []
    # One written far ahead of my clock (a forged created_at) counts for nothing.
    start = T0 - LEASE_SECONDS - SKEW
    assert _defers(listing, "src/", Mode.READ, at=start + 1) == ["bob"]
    assert _defers(listing, "src/", Mode.READ, at=start - 1) == []


def test_a_waiting_claim_defers_to_waiters_ranked_ahead_by_priority_then_time() -> None:
    earlier = _waiter("bob", "src/api.py", since=T0 - 1)
    later = _waiter("carol", "src/", since=T0 + 1)
    urgent = _waiter("dave", "src/", since=T0 + 5, priority="critical")
    reader = _waiter("erin", "src/", Mode.READ, since=T0 - 9)
    listing = Listing([], [], T0, waiters=[later, earlier, urgent, reader])
    assert _defers(listing, "src/", Mode.WRITE, at=T0 + 10, queued=True) == ["dave", "erin", "bob"]
    # A reader waiting behind them shares with erin, not with the writers.
    assert _defers(listing, "src/", Mode.READ, at=T0 + 10, queued=True) == ["dave", "bob"]


def test_no_waiting_claim_defers_to_a_waiter_that_waits_for_its_own_claim() -> None:
    mine = _claim("alice", "src/db.py", session="s1")
    bob = _waiter("bob", "src/", since=T0 - 500)
    listing = Listing([mine], [], T0, waiters=[bob])
    listing.seen = {mine.oid: T0}
    # Waiting, alice would never release what bob waits for: she does not defer.
    assert _defers(listing, "src/api.py", Mode.WRITE, at=T0 + 10, queued=True) == []
    # Not waiting, her new read claim defers to the promoted writer all the same (refused,
    # never stuck): a holder cannot keep adding claims past the writer it holds off.
    assert _defers(listing, "src/api.py", Mode.READ, at=T0 + 10) == ["bob"]


def _raw(message: str) -> bytes:
    return f"tree {EMPTY_TREE}\nauthor a <a> 0 +0000\n\n{message}".encode()


def test_a_waiter_parses_back_and_hostile_ones_are_invalid() -> None:
    w = _waiter("bob", "src/")._replace(oid="")
    back = parse_waiter_commit(_raw(w.message()), ref=w.ref, oid="x")
    assert back == w._replace(oid="x")
    for bad, why in (
        (w.message().replace('"normal"', '"urgent"'), "field 'priority'"),
        (w.message().replace('"src/"', '"../x"'), "malformed waiter"),
        ("waiter\n\n" + "[" * 5000, "nested deeper"),
        (w.message().replace('"format": 1', '"format": 7'), "newer"),
    ):
        try:
            parse_waiter_commit(_raw(bad), ref=w.ref, oid="x")
        except InvalidClaim as exc:
            assert why in str(exc), (why, exc)
        else:
            raise AssertionError(f"accepted: {why}")
    copied = refnames.waiter_ref("carol", "s")
    try:
        parse_waiter_commit(_raw(w.message()), ref=copied, oid="x")
    except InvalidClaim as exc:
        assert "sits at the wrong ref" in str(exc)
    else:
        raise AssertionError("accepted a waiter at another holder's ref")


def test_promote_after_is_a_duration_with_a_default() -> None:
    assert parse_config("").claims.promote_after == 120
    assert parse_config('[claims]\npromote_after = "90s"\n').claims.promote_after == 90
    with pytest.raises(ConfigError) as bad:
        parse_config('[claims]\npromote_after = "soon"\n')
    assert bad.value.message.startswith("gitcoord.toml:2: claims.promote_after: invalid")


def test_two_waiters_starting_within_a_millisecond_agree_who_is_first() -> None:
    """Each ranks itself by its exact start and the other by the stored one (milliseconds):
    before, both found the other ahead and waited for each other until they gave up."""
    me_bob = Identity("bob", "h", "/w", "s")
    alice_since, bob_since = T0 + 0.0004, T0 + 0.0001  # bob first, in the same millisecond
    alice = _waiter("alice", "src/", since=alice_since)._replace(session="s1")
    alice = alice._replace(ref=refnames.waiter_ref("alice", "s1"))
    bob = _waiter("bob", "src/", since=bob_since)
    for w in (alice, bob):  # as each reads the other: stored with millisecond precision
        assert parse_waiter_commit(_raw(w.message()), ref=w.ref, oid="x").since == T0
    request = [Request(ClaimPath.parse_stored("src/"), Mode.WRITE)]

    def defers(me: Identity, since: float, other: Waiter) -> bool:
        stored = parse_waiter_commit(_raw(other.message()), ref=other.ref, oid="x")
        listing = Listing([], [], T0, waiters=[stored])
        queued = rank("normal", since, me)
        found = deferred_to(
            request, listing, me, at=T0 + 1, skew=SKEW, promote_after=PROMOTE, queued=queued
        )
        return bool(found)

    assert defers(ME, alice_since, bob) + defers(me_bob, bob_since, alice) == 1
