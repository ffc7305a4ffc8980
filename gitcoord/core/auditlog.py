"""The audit-log entry: its format, the message an entry commit carries, and reading one.

One entry per change to claims (claim, grant, renew, release, retract, take, break), appended
to the acting agent's chain under refs/claims-log/ (store/audit.py reads the chains).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NamedTuple

from gitcoord.core import timeutil
from gitcoord.core.claim import Claim
from gitcoord.core.identity import Identity
from gitcoord.core.paths import ClaimPath, overlaps
from gitcoord.core.textsafe import loads_bounded

LOG_FORMAT = 1
# "grant": a provisional claim verified by its read after write and extended to its TTL.
EVENTS = ("claim", "grant", "renew", "release", "retract", "break")
# An entry's body nests {"claims": [{...}]}: three levels, and room for one more.
MAX_DEPTH = 4
# Larger messages are skipped unparsed (a 1,000-path claim's entry is ~300 KB).
MAX_ENTRY_BYTES = 4 * 1024 * 1024


def claim_summary(c: Claim) -> dict[str, Any]:
    return {
        "id": c.id,
        "path": str(c.path),
        "mode": c.mode.value,
        "agent": c.agent,
        "session": c.session,
        "oid": c.oid,
        "expires_at": timeutil.to_iso(c.expires_at),
    }


def entry_message(
    event: str,
    me: Identity,
    claims: Sequence[Claim],
    *,
    at: float,
    reason: str = "",
    commit: str | None = None,
    previous: Sequence[Claim] = (),
) -> str:
    body: dict[str, Any] = {
        "format": LOG_FORMAT,
        "event": event,
        "agent": me.agent,
        "host": me.host,
        "session": me.session,
        "at": timeutil.to_iso(at),
        "reason": reason,
        "claims": [claim_summary(c) for c in claims],
    }
    if commit:
        body["commit"] = commit
    if previous:
        body["previous"] = [claim_summary(c) for c in previous]
    first = str(claims[0].path) if claims else ""
    more = f" (+{len(claims) - 1} more)" if len(claims) > 1 else ""
    summary = f"{event} {json.dumps(first)}{more} by {me.agent}"
    return summary + "\n\n" + json.dumps(body, sort_keys=True, indent=1) + "\n"


class LogEntry(NamedTuple):
    oid: str
    event: str
    agent: str
    session: str
    host: str
    at: float
    reason: str
    commit: str | None
    claims: list[dict[str, Any]]
    previous: list[dict[str, Any]]

    def paths(self) -> list[ClaimPath]:
        out = []
        for c in self.claims + self.previous:
            try:
                out.append(ClaimPath.parse_stored(str(c.get("path", ""))))
            except ValueError:
                continue
        return out

    def touches(self, path: ClaimPath) -> bool:
        return any(overlaps(path, p) for p in self.paths())

    def to_json(self) -> dict[str, Any]:
        return {
            "oid": self.oid,
            "event": self.event,
            "agent": self.agent,
            "session": self.session,
            "host": self.host,
            "at": timeutil.to_iso(self.at),
            "reason": self.reason,
            "commit": self.commit,
            "claims": self.claims,
            "previous": self.previous,
        }


def parse_entry(oid: str, message: str) -> LogEntry | None:
    """A log entry, or None for anything that is not one (skipped, never fatal): hostile
    content (too large, nested too deep, any exception while parsing) is not an entry."""
    try:
        return _parse_entry(oid, message)
    except Exception:
        return None


def _parse_entry(oid: str, message: str) -> LogEntry | None:
    if len(message) > MAX_ENTRY_BYTES:
        return None
    if not message.isascii():
        message.encode("utf-8")  # raises for surrogates (read_log's non-UTF-8 bytes)
    _, sep, body = message.partition("\n\n")
    if not sep:
        return None
    try:
        data = loads_bounded(body, MAX_DEPTH)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("format") != LOG_FORMAT:
        return None
    if data.get("event") not in EVENTS:
        return None
    claims, previous = data.get("claims", []), data.get("previous", [])
    if not isinstance(claims, list) or not isinstance(previous, list):
        return None
    return LogEntry(
        oid=oid,
        event=str(data["event"]),
        agent=str(data["agent"]),
        session=str(data.get("session", "")),
        host=str(data.get("host", "")),
        at=timeutil.from_iso(data["at"]),
        reason=str(data.get("reason", "")),
        commit=str(data["commit"]) if data.get("commit") else None,
        claims=[c for c in claims if isinstance(c, dict)],
        previous=[c for c in previous if isinstance(c, dict)],
    )
