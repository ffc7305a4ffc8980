"""`gitcoord log [PATH]`: the audit trail of claims, grants (a provisional claim verified),
renewals, releases, retractions and breaks.

An attempt withdrawn before it was granted (refused by an overlapping claim on another
ref, interrupted, or its push unanswered) is one line, `refused` or `withdrawn`, not a
claim and a retraction that would read as if the path had been held."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from gitcoord.cli.context import Context, emit_json
from gitcoord.cli.log_lines import trail_lines
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
