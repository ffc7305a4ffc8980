"""The waiter object: a holder waiting (`git claim --wait`) for a claim, published on the
remote at refs/claim-waiters/<holderkey> so that others see the queue and defer to it.

A waiter holds nothing: safety never depends on it (a claim holds only after its read after
write). It orders waiting claimers (priority class, then who waited first, then holder) and
lets a writer that waited past `[claims] promote_after` hold off new readers.

Stored like a claim: a parentless commit with the empty tree whose message is a summary
line, a blank line and a JSON object with `format`; hostile until parsed within bounds.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from gitcoord.core import refnames
from gitcoord.core.claim import MAX_DEPTH, MAX_OBJECT_BYTES, InvalidClaim, UnknownFormat
from gitcoord.core.commitshape import shape_problem
from gitcoord.core.modes import Mode, compatible
from gitcoord.core.paths import ClaimPath, overlaps
from gitcoord.core.textsafe import message_object
from gitcoord.core.timeutil import from_iso, to_iso

FORMAT_VERSION = 1
PRIORITIES = ("low", "normal", "high", "critical")  # lowest first
DEFAULT_PRIORITY = "normal"
# A waiter's lease: renewed while it waits, so a killed waiter leaves the queue this long
# (plus the skew allowance) after its last renewal. A longer `expires_at` counts for no more.
LEASE_SECONDS = 30
_STR_FIELDS = ("agent", "session", "host", "reason", "nonce")


class Waiter(NamedTuple):
    agent: str
    session: str
    host: str
    paths: tuple[ClaimPath, ...]
    mode: Mode
    priority: str
    since: float  # when the claim's first attempt started (its place in the queue)
    created_at: float  # this version's write
    expires_at: float
    nonce: str
    reason: str = ""
    ref: str = ""
    oid: str = ""

    @property
    def lease_end(self) -> float:
        return min(self.expires_at, self.created_at + LEASE_SECONDS)

    def is_live(self, at: float, skew: float) -> bool:
        """Until its lease end plus `skew`; and not written further ahead of my clock than
        a lease plus `skew` (a forged `created_at` in the future would make it live for
        ever, holding readers off; a waiter only orders the queue, so a clock that far
        ahead costs its holder only its place)."""
        return self.created_at - LEASE_SECONDS - skew <= at <= self.lease_end + skew

    def rank(self) -> tuple[int, float, str, str]:
        """The queue's total order, first in line smallest: priority class, then the
        earlier wait, then holder."""
        return (-PRIORITIES.index(self.priority), self.since, self.agent, self.session)

    def conflicts(self, path: ClaimPath, mode: Mode) -> bool:
        """Whether a claim of `path` in `mode` and this waiter's claim could not both hold."""
        if compatible(self.mode, mode):
            return False
        return any(overlaps(p, path) for p in self.paths)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "agent": self.agent,
            "session": self.session,
            "host": self.host,
            "paths": [str(p) for p in self.paths],
            "mode": self.mode.value,
            "priority": self.priority,
            "since": to_iso(self.since),
            "created_at": to_iso(self.created_at),
            "expires_at": to_iso(self.expires_at),
            "nonce": self.nonce,
            "reason": self.reason,
        }

    def public_json(self) -> dict[str, Any]:
        """The JSON object the CLI prints (`--json`)."""
        data = self.to_json()
        del data["nonce"]
        data["ref"] = self.ref
        data["oid"] = self.oid
        return data

    def message(self) -> str:
        first = json.dumps(str(self.paths[0])) if self.paths else '""'
        more = f" and {len(self.paths) - 1} more" if len(self.paths) > 1 else ""
        summary = f"waiter {self.mode.value} {first}{more} by {self.agent}"
        return summary + "\n\n" + json.dumps(self.to_json(), sort_keys=True, indent=1) + "\n"


def parse_waiter_commit(raw: bytes, *, ref: str, oid: str) -> Waiter:
    """A waiter from its raw commit object (as `git cat-file --batch` gives it), which must
    sit at its holder's ref. Raises InvalidClaim (UnknownFormat for a newer format) and
    nothing else: bounded size and depth, and any exception is the waiter's problem."""
    try:
        if len(raw) > MAX_OBJECT_BYTES:
            raise InvalidClaim(f"object is {len(raw)} bytes, over {MAX_OBJECT_BYTES}")
        _, sep, message = raw.partition(b"\n\n")
        problem = shape_problem(raw, max_parents=0) if sep else "not a commit object"
        if problem is not None:
            raise InvalidClaim(problem)
        waiter = _parse(message, ref, oid)
    except InvalidClaim:
        raise
    except Exception as exc:  # one forged ref never stops a listing
        raise InvalidClaim(f"malformed waiter: {type(exc).__name__}: {exc}"[:300]) from None
    if refnames.waiter_ref(waiter.agent, waiter.session) != ref:
        raise InvalidClaim(f"waiter of {waiter.agent} sits at the wrong ref")
    return waiter


def _parse(message: bytes, ref: str, oid: str) -> Waiter:
    data = message_object(
        message,
        what="waiter",
        version=FORMAT_VERSION,
        limit=MAX_OBJECT_BYTES,
        depth=MAX_DEPTH,
        invalid=InvalidClaim,
        newer=UnknownFormat,
    )
    for name in _STR_FIELDS:
        if not isinstance(data.get(name), str):
            raise InvalidClaim(f"field {name!r} is not a string")
    paths, priority = data.get("paths"), data.get("priority")
    if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
        raise InvalidClaim("field 'paths' is not a list of paths")
    if priority not in PRIORITIES:
        raise InvalidClaim(f"field 'priority' is not one of {', '.join(PRIORITIES)}")
    return Waiter(
        agent=data["agent"],
        session=data["session"],
        host=data["host"],
        paths=tuple(ClaimPath.parse_stored(p) for p in paths),
        mode=Mode(data["mode"]),
        priority=priority,
        since=from_iso(data["since"]),
        created_at=from_iso(data["created_at"]),
        expires_at=from_iso(data["expires_at"]),
        nonce=data["nonce"],
        reason=data["reason"],
        ref=ref,
        oid=oid,
    )
