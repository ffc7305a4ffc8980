"""`gitcoord status`: my claims, others' claims, and mine that expire soon."""

from __future__ import annotations

from typing import Annotated

import typer

from gitcoord.cli.context import Context, emit_json
from gitcoord.core import timeutil
from gitcoord.core.durations import format_duration
from gitcoord.core.textsafe import printable

SOON_SECONDS = 600  # "expiring soon": within ten minutes, or within a tenth of the lease


def status_command(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show who I am, my claims, others' live claims, and mine that expire soon.

    \b
    Example:
      gitcoord status
    """
    ctx = Context.here()
    listing = ctx.listing()
    ctx.warn_invalid(listing)
    at = timeutil.now()
    skew = ctx.config.claims.clock_skew
    mine = [c for c in listing.claims if c.agent == ctx.me.agent and c.session == ctx.me.session]
    others = [c for c in listing.live(at, skew) if c not in mine]
    soon = [c for c in mine if c.lease_end - at < max(SOON_SECONDS, c.ttl / 10)]
    if as_json:
        emit_json(
            {
                "agent": ctx.me.agent,
                "host": ctx.me.host,
                "session": ctx.me.session,
                "remote": ctx.store.remote,
                "mine": [c.public_json() for c in mine],
                "others": [c.public_json() for c in others],
                "expiring_soon": [c.public_json() for c in soon],
                "invalid": [i._asdict() for i in listing.invalid],
            }
        )
        return
    # Every line through printable: paths and agents are remote data (no control characters).
    lines = [f"agent {ctx.me.agent} (session {ctx.me.session}) on {ctx.store.remote}"]
    lines += ["", f"my claims ({len(mine)}):"]
    for c in sorted(mine, key=lambda c: c.path):
        lines.append(f"  {c.path}  {c.mode.value}  expires in {format_duration(c.lease_end - at)}")
    lines += ["", f"others' live claims ({len(others)}):"]
    for c in sorted(others, key=lambda c: c.path):
        lines.append(
            f"  {c.path}  {c.mode.value}  {c.agent}  expires in {format_duration(c.lease_end - at)}"
        )
    if soon:
        lines += ["", f"expiring soon ({len(soon)}): renew with `git claim --renew`"]
        for c in sorted(soon, key=lambda c: c.path):
            lines.append(f"  {c.path}  expires in {format_duration(c.lease_end - at)}")
    print("\n".join(map(printable, lines)))
