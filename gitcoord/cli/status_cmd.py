"""`gitcoord status`: my claims, my other sessions' claims, others' claims, and mine that
expire soon, as aligned tables (the listing's rows: cli/claim_listing.py)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from gitcoord.cli.claim_listing import (
    Shown,
    queue_lines,
    row,
    shown_claims,
    shown_waiters,
    table,
    when,
)
from gitcoord.cli.context import Context, emit_json
from gitcoord.core import timeutil
from gitcoord.core.claim import Claim
from gitcoord.core.config import CONFIG_FILE
from gitcoord.core.durations import format_duration
from gitcoord.core.errors import UsageError
from gitcoord.core.identity import release_from_here
from gitcoord.core.textsafe import printable
from gitcoord.core.waiter import Waiter
from gitcoord.core.wording import is_mine, is_other_session
from gitcoord.store.listing import Listing

SOON_SECONDS = 600  # "expiring soon": within ten minutes, or within a tenth of the lease


def status_command(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    mine_only: Annotated[
        bool, typer.Option("--mine", help="Only my agent's claims (any session).")
    ] = False,
    agent: Annotated[
        str | None, typer.Option("--agent", metavar="NAME", help="Only this agent's claims.")
    ] = None,
    under: Annotated[
        str | None,
        typer.Option("--under", metavar="DIR", help="Only claims in DIR (or covering it)."),
    ] = None,
) -> None:
    """Show who I am, my claims, others' live claims, mine that expire soon, and the
    queue of claims waiting (`git claim --wait`).

    \b
    Examples:
      gitcoord status
      gitcoord status --agent bob --under src/
    """
    if mine_only and agent is not None:
        raise UsageError("give --mine or --agent, not both")
    ctx = Context.here()
    listing = ctx.listing()
    ctx.warn_invalid(listing)
    at = timeutil.now()
    skew = ctx.config.claims.clock_skew
    me = ctx.viewer_holder
    selected = shown_claims(ctx, listing.claims, Shown(mine_only, agent, under))
    mine = sorted((c for c in selected if is_mine(c, me)), key=lambda c: c.path)
    others = sorted(
        (c for c in selected if not listing.expired(c, at, skew) and not is_mine(c, me)),
        key=lambda c: c.path,
    )
    sessions = [c for c in others if is_other_session(c, me)]
    soon = [c for c in mine if c.lease_end - at < max(SOON_SECONDS, c.ttl / 10)]
    waiters = shown_waiters(ctx, listing, at, Shown(mine_only, agent, under))
    if as_json:
        emit_json(_json(ctx, mine, others, sessions, soon, listing) | _queue_json(waiters))
        return
    who = f"agent {printable(me.agent)} (session {me.session})" if me else "no agent identity"
    lines = [f"{who} on {printable(ctx.store.remote)}", f"policy: {_policy_line(ctx)}"]
    lines += ["", f"my claims ({len(mine)}):"]
    # The rows are escaped (remote data); a reason is cut to one line.
    lines += table([row(c, me, when(listing, c, me, at, skew)) for c in mine], "  ")
    lines += ["", f"others' live claims ({len(others)}):"]
    lines += table([row(c, me, when(listing, c, me, at, skew)) for c in others], "  ")
    if sessions:
        first = sessions[0]
        lines.append(
            f"  +: your other session's claim; {release_from_here(first.session, str(first.path))}"
        )
    if soon:
        lines += ["", f"expiring soon ({len(soon)}): renew with `git claim --renew`"]
        shown = [(printable(str(c.path)), format_duration(c.lease_end - at)) for c in soon]
        width = min(max(len(p) for p, _ in shown), 60)
        lines += [f"  {p:<{width}}  expires in {left}" for p, left in shown]
    if waiters:
        lines += ["", f"waiting ({len(waiters)}), first in line first:"]
        lines += queue_lines(waiters, me, at)
    print("\n".join(lines))


def _queue_json(waiters: list[Waiter]) -> dict[str, Any]:
    return {"waiting": [w.public_json() for w in waiters]}


def _policy_line(ctx: Context) -> str:
    line = printable(ctx.policy.describe())
    if ctx.policy.differs_from(ctx.repo.toplevel):
        line += f"; the working tree's {CONFIG_FILE} differs and counts only once it lands"
    return line


def _json(
    ctx: Context,
    mine: list[Claim],
    others: list[Claim],
    sessions: list[Claim],
    soon: list[Claim],
    listing: Listing,
) -> dict[str, Any]:
    viewer = ctx.viewer
    return {
        "agent": viewer.agent if viewer else None,
        "host": viewer.host if viewer else None,
        "session": viewer.session if viewer else None,
        "remote": ctx.store.remote,
        "mine": [c.public_json() for c in mine],
        "others": [c.public_json() for c in others],  # my other sessions' too
        "mine_other_sessions": [c.public_json() for c in sessions],
        "expiring_soon": [c.public_json() for c in soon],
        "invalid": [i._asdict() for i in listing.invalid],
        "policy": {
            "source": ctx.policy.source or None,
            "worktree_differs": ctx.policy.differs_from(ctx.repo.toplevel),
        },
    }
