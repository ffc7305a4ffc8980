"""The claim object: what a claim commit on the remote carries, and its stored format.

A claim commit's message is one summary line, a blank line, then a JSON object. The JSON
carries `format`; a reader refuses formats it does not know instead of guessing.
"""

from __future__ import annotations

import json
import os
from typing import Any, NamedTuple

from gitcoord.core.commitshape import shape_problem
from gitcoord.core.modes import Mode, compatible
from gitcoord.core.paths import ClaimPath, overlaps
from gitcoord.core.textsafe import message_object
from gitcoord.core.timeutil import from_iso, to_iso

FORMAT_VERSION = 1
MAX_OBJECT_BYTES = 64 * 1024  # a larger claim object is hostile, not a claim
# The lease of a claim pushed but not yet verified by its read after write: a client killed
# in between blocks others for this long (plus the skew allowance), not for its TTL.
PROVISIONAL_SECONDS = 30


def new_nonce() -> str:
    # os.urandom, as secrets.token_hex does, without importing secrets (hmac, hashlib, random).
    return os.urandom(8).hex()


class InvalidClaim(ValueError):
    """A ref under refs/claims/ that does not hold a claim this version can read."""


class UnknownFormat(InvalidClaim):
    """A claim written by a newer gitcoord."""


class Holder(NamedTuple):
    """Who holds a claim: an agent in one session. The one rule of "mine" in every layer:
    two sessions of one agent are two holders (core/identity.py)."""

    agent: str
    session: str

    def __str__(self) -> str:
        return self.agent

    def holds(self, c: Claim) -> bool:
        return c.agent == self.agent and c.session == self.session

    def other_session_holds(self, c: Claim) -> bool:
        """Whether my agent holds `c` in another session (another holder, named as mine)."""
        return c.agent == self.agent and c.session != self.session


class Claim(NamedTuple):
    id: str
    path: ClaimPath
    mode: Mode
    agent: str
    host: str
    worktree: str
    session: str
    reason: str
    ttl: int
    created_at: float
    expires_at: float
    priority_at: float  # first attempt of the claim, carried across retries (wait-die)
    nonce: str = ""  # new claims get new_nonce(); a NamedTuple has no default factory
    # Pushed but not yet verified by a read after its write: its lease is short
    # (PROVISIONAL_SECONDS) until the holder's verification extends it (docs/design.md).
    provisional: bool = False
    # Where it was read from (not stored in the object).
    ref: str = ""
    oid: str = ""

    @property
    def holder(self) -> Holder:
        return Holder(self.agent, self.session)

    def priority(self) -> tuple[float, str, str, str]:
        """Total order for wait-die: older first; ties broken by holder and nonce."""
        return (self.priority_at, self.agent, self.session, self.nonce)

    @property
    def lease_end(self) -> float:
        """When the lease ends by the claim's own account: `expires_at`, unless that is later
        than its creation time plus its TTL (an inconsistent, possibly hostile, expiry)."""
        return min(self.expires_at, self.created_at + self.ttl)

    @property
    def lease_seconds(self) -> float:
        """The length of this object's lease (a provisional claim's is short)."""
        return max(0.0, self.lease_end - self.created_at)

    def is_expired(self, at: float, skew: float = 0.0) -> bool:
        """By the holder's clock alone; the protocol also asks for its own observation
        (store.Listing.expired)."""
        return at > self.lease_end + skew

    def conflicts_with(self, other: Claim) -> bool:
        """Incompatible modes on overlapping paths, held by different holders."""
        if self.holder == other.holder:
            return False
        return overlaps(self.path, other.path) and not compatible(other.mode, self.mode)

    def renewed(self, at: float, ttl: int | None = None, *, provisional: bool = False) -> Claim:
        """A new version of this claim created at `at`; a provisional one has a short lease."""
        t = self.ttl if ttl is None else ttl
        lease = min(t, PROVISIONAL_SECONDS) if provisional else t
        return self._replace(
            ttl=t,
            created_at=at,
            expires_at=at + lease,
            nonce=new_nonce(),
            provisional=provisional and lease < t,
            oid="",
        )

    def to_json(self) -> dict[str, Any]:
        # Shallow: asdict() deep-copies every field, ~0.4 ms a claim, seconds per listing.
        data = self._asdict()
        for gone in ("ref", "oid"):
            data.pop(gone)
        data["path"] = str(self.path)
        data["mode"] = self.mode.value
        data["created_at"] = to_iso(self.created_at)
        data["expires_at"] = to_iso(self.expires_at)
        data["priority_at"] = to_iso(self.priority_at)
        return {"format": FORMAT_VERSION, **data}

    def public_json(self) -> dict[str, Any]:
        """The JSON object the CLI prints (`--json`)."""
        data = self.to_json()
        del data["nonce"]
        data["ref"] = self.ref
        data["oid"] = self.oid
        return data

    def message(self) -> str:
        summary = f"claim {self.mode.value} {json.dumps(str(self.path))} by {self.agent}"
        body = json.dumps(self.to_json(), sort_keys=True, indent=1)
        return summary + "\n\n" + body + "\n"


_STR_FIELDS = ("id", "agent", "host", "worktree", "session", "reason", "nonce")
# Claims are flat objects; a little room for what a later format may nest.
MAX_DEPTH = 4
# A bound that keeps every sum with a lease finite (a hostile 10**400 would overflow a float).
MAX_TTL = 2**53


def parse_claim_commit(raw: bytes, *, ref: str = "", oid: str = "") -> Claim:
    """Parse a raw claim commit object (as `git cat-file --batch` gives it): refused when it
    carries files (a tree other than the empty tree: every agent would download them) or
    has parents, then as parse_claim_message. Raises InvalidClaim and nothing else."""
    if len(raw) > MAX_OBJECT_BYTES:
        raise InvalidClaim(f"object is {len(raw)} bytes, over {MAX_OBJECT_BYTES}")
    _, sep, message = raw.partition(b"\n\n")
    if not sep:
        raise InvalidClaim("not a commit object (no message)")
    problem = shape_problem(raw, max_parents=0)  # the server hooks' rule too
    if problem is not None:
        raise InvalidClaim(problem)
    return parse_claim_message(message, ref=ref, oid=oid)


def parse_claim_message(message: str | bytes, *, ref: str = "", oid: str = "") -> Claim:
    """Parse a claim commit message; raise InvalidClaim (or UnknownFormat) with the cause.

    Hostile content fails only into InvalidClaim: bounded size and nesting depth, and any
    exception (RecursionError, OverflowError, ...) is reported as the claim's problem."""
    try:
        return _parse_message(message, ref, oid)
    except InvalidClaim:
        raise
    except Exception as exc:  # never let one forged ref stop every agent's listing
        raise InvalidClaim(f"malformed claim: {type(exc).__name__}: {exc}"[:300]) from None


def _parse_message(message: str | bytes, ref: str, oid: str) -> Claim:
    data = message_object(
        message,
        what="claim",
        version=FORMAT_VERSION,
        limit=MAX_OBJECT_BYTES,
        depth=MAX_DEPTH,
        invalid=InvalidClaim,
        newer=UnknownFormat,
    )
    nonce = data.get("nonce")
    if not isinstance(nonce, str):
        raise InvalidClaim("field 'nonce' is not a string")
    return _from_fields(data, nonce, ref, oid)  # (parse_claim_message catches for both)


def claim_from_fields(data: dict[str, Any], *, nonce: str, ref: str, oid: str) -> Claim:
    """A Claim from its JSON fields (a stored object or the snapshot's public JSON).

    Checks every field's type and value: raises InvalidClaim and nothing else."""
    try:
        return _from_fields(data, nonce, ref, oid)
    except InvalidClaim:
        raise
    except Exception as exc:
        raise InvalidClaim(f"malformed claim: {type(exc).__name__}: {exc}"[:300]) from None


def _from_fields(data: dict[str, Any], nonce: str, ref: str, oid: str) -> Claim:
    for name in _STR_FIELDS[:-1]:  # (the nonce is passed: the snapshot has none)
        if not isinstance(data.get(name), str):
            raise InvalidClaim(f"field {name!r} is not a string")
    ttl = data.get("ttl")
    if not isinstance(ttl, int) or isinstance(ttl, bool) or not 0 < ttl <= MAX_TTL:
        raise InvalidClaim(f"field 'ttl' is not a positive integer up to {MAX_TTL}")
    provisional = data.get("provisional", False)
    if not isinstance(provisional, bool):
        raise InvalidClaim("field 'provisional' is not a boolean")
    path, mode = data.get("path"), data.get("mode")
    if not isinstance(path, str) or not isinstance(mode, str):
        raise InvalidClaim("field 'path' or 'mode' is not a string")
    return Claim(
        id=data["id"],
        path=ClaimPath.parse_stored(path),
        mode=Mode(mode),
        agent=data["agent"],
        host=data["host"],
        worktree=data["worktree"],
        session=data["session"],
        reason=data["reason"],
        ttl=ttl,
        created_at=from_iso(data["created_at"]),
        expires_at=from_iso(data["expires_at"]),
        priority_at=from_iso(data["priority_at"]),
        nonce=nonce,
        provisional=provisional,
        ref=ref,
        oid=oid,
    )
