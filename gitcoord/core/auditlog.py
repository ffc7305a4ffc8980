"""The audit-log entry: its format, the message an entry commit carries, and reading one.

One entry per change to claims (claim, grant, renew, release, retract, take, break, and
`gitcoord gc`'s expire), appended
to the acting agent's chain under refs/claims-log/ (store/audit.py reads the chains). A change
to more claims than one entry may name (a 1,000-path claim) is written as several chained
entries of the same event, all in the change's one push.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from gitcoord.core import timeutil
from gitcoord.core.claim import Claim
from gitcoord.core.identity import Identity
from gitcoord.core.paths import ClaimPath, overlaps
from gitcoord.core.textsafe import loads_bounded

LOG_FORMAT = 1
# "grant": a provisional claim verified by its read after write and extended to its TTL.
# "expire": `gitcoord gc` removed others' expired claims (`previous`, as a break's).
EVENTS = ("claim", "grant", "renew", "release", "retract", "break", "expire")
# An entry's body nests {"claims": [{...}]}: three levels, and room for one more.
MAX_DEPTH = 4
# Larger messages are skipped unparsed.
MAX_ENTRY_BYTES = 4 * 1024 * 1024
# The server hooks' bound on one log commit (server/logrules.py): every agent's `gitcoord
# log` downloads every entry. Entries are written under it, with room for the header.
MAX_LOG_OBJECT_BYTES = 64 * 1024
ENTRY_BUDGET = 56 * 1024


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


def entry_chunks(claims: Sequence[Claim]) -> list[list[Claim]]:
    """`claims` in runs whose summaries fit one entry (an upper estimate per claim: its
    summary's fixed part, and its JSON-escaped path, agent and session); none for none."""
    chunks: list[list[Claim]] = []
    size = ENTRY_BUDGET
    for c in claims:
        weight = 220 + sum(len(json.dumps(t)) for t in (str(c.path), c.agent, c.session))
        if size + weight > ENTRY_BUDGET:
            chunks.append([])
            size = 0
        chunks[-1].append(c)
        size += weight
    return chunks


def entry_messages(
    event: str,
    me: Identity,
    claims: Sequence[Claim],
    *,
    at: float,
    reason: str = "",
    commit: str | None = None,
    previous: Sequence[Claim] = (),
    overlapped: Sequence[Claim] = (),
) -> list[str]:
    """The messages of the chained entries that record one change (entry_message), each
    naming a run of `claims` and then of `previous` small enough for the server's bound."""
    out, start, mine = [], 0, len(claims)
    for n, chunk in enumerate(entry_chunks([*claims, *previous]) or [[]]):
        end = start + len(chunk)  # runs of `claims`, then of `previous`, in order
        out.append(
            entry_message(
                event,
                me,
                claims[start:end],
                at=at,
                reason=reason,
                commit=commit,
                previous=previous[max(0, start - mine) : max(0, end - mine)],
                overlapped=overlapped if n == 0 else (),
            )
        )
        start = end
    return out


def entry_message(
    event: str,
    me: Identity,
    claims: Sequence[Claim],
    *,
    at: float,
    reason: str = "",
    commit: str | None = None,
    previous: Sequence[Claim] = (),
    overlapped: Sequence[Claim] = (),
) -> str:
    """An entry's commit message. `reason`: a claim's or renewal's reason, a break's
    justification, a release's note, why a retraction happened; `previous`: the claims a
    take-over or break removed; `overlapped`: the claims a retracted attempt overlapped."""
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
    if overlapped:
        body["overlapped"] = [claim_summary(c) for c in overlapped]
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
    overlapped: list[dict[str, Any]]  # a retraction's: the claims that refused the attempt

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
            "overlapped": self.overlapped,
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
    overlapped = data.get("overlapped", [])
    if not all(isinstance(x, list) for x in (claims, previous, overlapped)):
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
        overlapped=[c for c in overlapped if isinstance(c, dict)],
    )


class Fate(NamedTuple):
    """What the audit trail last says about a claim: `event` is "break" or "take" (removed
    by `agent`, a break with its `reason`), "release" or "retract" (by its holder), or the
    holder's own "claim", "grant" or "renew" (nothing after it: it expired at `until`)."""

    event: str
    agent: str
    at: float
    reason: str
    mode: str  # the claim's, as its summary says
    until: float | None = None


def fate(entries: Sequence[LogEntry], which: Callable[[dict[str, Any]], bool]) -> Fate | None:
    """The last thing `entries` (oldest first) say happened to the claims whose summaries
    `which` picks; None when the trail never names one."""
    for e in reversed(entries):
        removed = [p for p in e.previous if which(p)] if e.event in ("break", "claim") else []
        if removed:
            event = "break" if e.event == "break" else "take"
            return Fate(event, e.agent, e.at, e.reason, str(removed[0].get("mode")))
        named = [c for c in e.claims if which(c)]
        if named:
            until = _expiry(named[0]) if e.event in ("claim", "grant", "renew") else None
            return Fate(e.event, e.agent, e.at, e.reason, str(named[0].get("mode")), until)
    return None


def _expiry(summary: dict[str, Any]) -> float | None:
    try:
        return timeutil.from_iso(str(summary.get("expires_at")))
    except ValueError:
        return None


def withdrawn_attempts(entries: Sequence[LogEntry]) -> dict[str, LogEntry]:
    """Claim entries whose attempt was withdrawn before it was granted: claim entry OID ->
    the retraction (refused by an overlap, interrupted, or its push unanswered). An attempt
    is its holder's claim ids, pending from the claim entry until a grant or release."""
    pending: dict[tuple[str, str, str], str] = {}  # (agent, session, claim id) -> claim entry
    out: dict[str, LogEntry] = {}
    for e in entries:
        ids = [(e.agent, e.session, str(c.get("id", ""))) for c in e.claims]
        if e.event == "claim":
            pending.update(dict.fromkeys(ids, e.oid))
        elif e.event == "retract":
            for key in ids:
                if key in pending:
                    out.setdefault(pending.pop(key), e)
        elif e.event in ("grant", "release"):
            for key in ids:
                pending.pop(key, None)
    return out
