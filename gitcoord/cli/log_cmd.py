"""`gitcoord log [PATH]`: the audit trail of claims, grants (a provisional claim verified),
renewals, releases, retractions and breaks."""

from __future__ import annotations

from typing import Annotated

import typer

from gitcoord.cli.context import Context, emit_json
from gitcoord.core import refnames, timeutil
from gitcoord.core.textsafe import printable
from gitcoord.store.audit import read_log


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
    prefix = refnames.mirror_prefix(ctx.store.remote_key) + refnames.LOG[len("refs/") :]
    entries = read_log(str(ctx.repo.toplevel), prefix)
    if target is not None:
        entries = [e for e in entries if e.touches(target)]
    entries = entries[-limit:]
    if as_json:
        emit_json({"entries": [e.to_json() for e in entries]})
        return
    if not entries:
        print(printable("no audit entries" + (f" for {target}" if target else "")))
    for e in entries:
        items = e.claims or e.previous
        paths = ", ".join(f"{c.get('path')} ({c.get('mode')})" for c in items[:3])
        if len(items) > 3:
            paths += f", +{len(items) - 3} more"
        extra = ""
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
        # Entries are remote data: shown escaped, so no entry can fake another line.
        print(printable(f"{timeutil.to_iso(e.at)}  {e.agent:<16}  {e.event:<8}  {paths}{extra}"))
