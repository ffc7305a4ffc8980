"""The lines of the audit trail as `gitcoord log` and `gitcoord watch` show them (without
typer: watch's lean route starts from here too)."""

from __future__ import annotations

from gitcoord.core import timeutil
from gitcoord.core.auditlog import LogEntry
from gitcoord.core.textsafe import printable


def trail_lines(entries: list[LogEntry], withdrawn: dict[str, LogEntry], limit: int) -> list[str]:
    """The last `limit` entries as `gitcoord log` shows them (and `gitcoord watch`), a
    withdrawn attempt's retraction folded into its claim's line (`withdrawn`: from
    withdrawn_attempts of the whole trail)."""
    folded = {r.oid for r in withdrawn.values()}
    kept = [e for e in entries if e.oid not in folded][-limit:]
    # Entries are remote data: shown escaped, so no entry can fake another line.
    return [printable(_line(e, withdrawn.get(e.oid))) for e in kept]


def _line(e: LogEntry, retraction: LogEntry | None) -> str:
    items = e.claims or e.previous
    paths = ", ".join(f"{c.get('path')} ({c.get('mode')})" for c in items[:3])
    if len(items) > 3:
        paths += f", +{len(items) - 3} more"
    event = e.event
    extra = ""
    if retraction is not None:
        event = "refused" if retraction.overlapped else "withdrawn"
        why = retraction.reason or "withdrawn before it was granted"
        extra += f"  (never granted: {why})"
    if e.previous:
        holders = sorted({str(c.get("agent")) for c in e.previous})
        verb = {"break": "from", "expire": "held by"}.get(e.event, "took over from")
        extra += f"  {verb} {', '.join(holders)}"
    if e.event in ("grant", "renew") and e.claims:
        # A grant: the provisional claim was verified and now holds until then.
        extra += f"  until {e.claims[0].get('expires_at')}"
    if e.commit:
        extra += f"  commit {e.commit[:12]}"
    if e.reason:
        extra += f'  "{e.reason}"'
    return f"{timeutil.to_iso(e.at)}  {e.agent:<16}  {event:<9}  {paths}{extra}"
