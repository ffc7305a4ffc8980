"""A listing: the claims on the remote as last fetched, and the refs that hold no claim."""

from __future__ import annotations

import json
from typing import NamedTuple

from gitcoord.core.claim import Claim
from gitcoord.core.timeutil import to_iso
from gitcoord.core.waiter import Waiter
from gitcoord.store import parsecache
from gitcoord.store.parsecache import Parsed


class InvalidRef(NamedTuple):
    """A ref under refs/claims/ (or refs/claim-waiters/) that is not a readable claim (or
    waiter): reported, never trusted."""

    ref: str
    oid: str
    problem: str
    newer_format: bool = False


class Listing:
    __slots__ = (
        "_by_path",
        "by_ref",
        "claims",
        "fetched_at",
        "invalid",
        "log_tip",
        "parsed",
        "seen",
        "waiters",
    )

    def __init__(
        self,
        claims: list[Claim],
        invalid: list[InvalidRef],
        fetched_at: float,
        log_tip: str | None = None,
        parsed: dict[str, Parsed] | None = None,
        waiters: list[Waiter] | None = None,
    ) -> None:
        self.claims = claims
        # The queue: holders waiting for claims (core/waiter.py), live or not.
        self.waiters = waiters or []
        self.invalid = invalid
        self.fetched_at = fetched_at
        self.log_tip = log_tip
        self.by_ref: dict[str, Claim | InvalidRef] = {c.ref: c for c in claims}
        self.by_ref.update({i.ref: i for i in invalid})
        # Each claim's public JSON, already encoded, by OID (from the parse cache).
        self.parsed = parsed or {}
        # When this clone first saw each claim object (its own clock), by OID.
        self.seen: dict[str, float] = {}
        self._by_path: list[Claim] | None = None

    def by_path(self) -> list[Claim]:
        """The claims in display order: by path (a directory after the file of its name),
        mode, agent."""
        if self._by_path is None:
            # ClaimPath's own order, through its fields: cheaper than comparing ClaimPaths.
            self._by_path = sorted(
                self.claims, key=lambda c: (c.path.key, c.path.is_dir, c.mode.value, c.agent)
            )
        return self._by_path

    def live_waiters(self, at: float, skew: float) -> list[Waiter]:
        """The waiters whose lease (plus skew) has not passed, first in line first."""
        return sorted((w for w in self.waiters if w.is_live(at, skew)), key=Waiter.rank)

    def live(self, at: float, skew: float) -> list[Claim]:
        return [c for c in self.claims if not self.expired(c, at, skew)]

    def takeover_at(self, claim: Claim, skew: float) -> float:
        """When this clone may first treat `claim` as expired (see `expired`)."""
        seen = self.seen.get(claim.oid, self.fetched_at)
        return max(claim.lease_end, seen + claim.lease_seconds) + skew

    def expired(self, claim: Claim, at: float, skew: float) -> bool:
        """Expired both by the holder's account (lease end + skew) and by this clone's own
        observation: it has seen this very object for its lease + skew. So safety needs only
        bounded clock rates, not synchronized clocks (docs/design.md, "Leases")."""
        if not claim.is_expired(at, skew):
            return False
        return at > self.seen.get(claim.oid, at) + claim.lease_seconds + skew

    def encoded(self, claim: Claim) -> Parsed:
        """`claim`'s public JSON, encoded: from the parse cache, else now."""
        hit = self.parsed.get(claim.oid)
        return hit if hit is not None and hit.claim is claim else parsecache.parsed(claim)

    def snapshot_json(self, remote: str) -> str:
        """The hooks' snapshot (store/snapshot.py reads it): the compact JSON of {format,
        remote, fetched_at, claims, invalid}, each claim as the parse cache encoded it."""
        compact = (",", ":")
        claims = ",".join(self.encoded(c).compact for c in self.claims)
        invalid = json.dumps([i._asdict() for i in self.invalid], separators=compact)
        head = (
            f'"format":1,"remote":{json.dumps(remote)},'
            f'"fetched_at":{json.dumps(to_iso(self.fetched_at))}'
        )
        return f'{{{head},"claims":[{claims}],"invalid":{invalid}}}'
