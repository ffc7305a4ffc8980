"""`gitcoord log [PATH]`: the audit trail of claims, grants (a provisional claim verified),
renewals, releases, retractions and breaks.

An attempt withdrawn before it was granted (refused by an overlapping claim on another
ref, interrupted, or its push unanswered) is one line, `refused` or `withdrawn`, not a
claim and a retraction that would read as if the path had been held."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from gitcoord.cli.context import Context, emit_json
from gitcoord.core import timeutil
from gitcoord.core.auditlog import LogEntry, withdrawn_attempts
from gitcoord.core.textsafe import printable
from gitcoord.store.audit import mirrored_trail


def log_command(
    path: Annotated[str | None, typer.Argument(help="Only entries touching this path.")] = None,
    limit: Annotated[
        int, typer.Option("--max-count", "-n", help="Show at most N entries (newest).", min=1)
    ] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show the audit trail on the remote, oldest first.

    \b
    Examples:
      gitcoord log
      gitcoord log src/api.py --json
    """
    ctx = Context.here()
    target = ctx.claim_paths([path])[0] if path else None
    ctx.store.fetch_logs()
    entries = mirrored_trail(str(ctx.repo.toplevel), ctx.store.remote_key)
    withdrawn = withdrawn_attempts(entries)
    if target is not None:
        entries = [e for e in entries if e.touches(target)]
    if as_json:
        emit_json({"entries": [_entry_json(e, withdrawn) for e in entries[-limit:]]})
        return
    lines = trail_lines(entries, withdrawn, limit)
    if not lines:
        print(printable("no audit entries" + (f" for {target}" if target else "")))
    for line in lines:
        print(line)


def trail_lines(entries: list[LogEntry], withdrawn: dict[str, LogEntry], limit: int) -> list[str]:
    """The last `limit` entries as `gitcoord log` shows them (and `gitcoord watch`), a
    withdrawn attempt's retraction folded into its claim's line (`withdrawn`: from
    withdrawn_attempts of the whole trail)."""
    folded = {r.oid for r in withdrawn.values()}
    kept = [e for e in entries if e.oid not in folded][-limit:]
    # Entries are remote data: shown escaped, so no entry can fake another line.
    return [printable(_line(e, withdrawn.get(e.oid))) for e in kept]


def _entry_json(e: LogEntry, withdrawn: dict[str, LogEntry]) -> dict[str, Any]:
    """An entry's JSON; a claim entry says whether its attempt was granted (`granted`:
    false, with the retraction, when it was withdrawn first)."""
    data = e.to_json()
    if e.event == "claim":
        retraction = withdrawn.get(e.oid)
        data["granted"] = retraction is None
        if retraction is not None:
            data["withdrawn"] = {
                "oid": retraction.oid,
                "at": timeutil.to_iso(retraction.at),
                "reason": retraction.reason,
                "overlapped": retraction.overlapped,
            }
    return data


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
        verb = "from" if e.event == "break" else "took over from"
        extra += f"  {verb} {', '.join(holders)}"
    if e.event in ("grant", "renew") and e.claims:
        # A grant: the provisional claim was verified and now holds until then.
        extra += f"  until {e.claims[0].get('expires_at')}"
    if e.commit:
        extra += f"  commit {e.commit[:12]}"
    if e.reason:
        extra += f'  "{e.reason}"'
    return f"{timeutil.to_iso(e.at)}  {e.agent:<16}  {event:<9}  {paths}{extra}"
