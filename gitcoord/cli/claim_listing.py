"""`git claim` with no paths: the listing of live claims, as a table or as JSON."""

from __future__ import annotations

import json
import sys

from gitcoord.cli.context import Context
from gitcoord.core import timeutil
from gitcoord.core.claim import Claim
from gitcoord.core.durations import format_duration
from gitcoord.core.textsafe import printable
from gitcoord.store.listing import Listing


def list_claims(ctx: Context, as_json: bool) -> None:
    listing = ctx.listing()
    ctx.warn_invalid(listing)
    sys.stdout.write(_render(ctx, listing, as_json))


def _render(ctx: Context, listing: Listing, as_json: bool) -> str:
    at = timeutil.now()
    skew = ctx.config.claims.clock_skew
    claims = listing.by_path()
    mine = {c.ref for c in claims if c.agent == ctx.me.agent and c.session == ctx.me.session}
    if as_json:
        flags = {c.ref: (c.ref in mine, _expired(listing, c, mine, at, skew)) for c in claims}
        return _listing_json(ctx.me.agent, listing, claims, flags)
    if not claims:
        return "no live claims\n"
    # Remote data is shown escaped: a forged path or reason cannot fake a line.
    paths = [printable(str(c.path)) for c in claims]
    agents = [printable(c.agent) for c in claims]
    width = min(max(map(len, paths)), 60)
    awidth = min(max(map(len, agents)), 30)
    lines = []
    for c, path, agent in zip(claims, paths, agents, strict=True):
        mark = "*" if c.ref in mine else " "
        left = c.lease_end - at
        when = (
            f"expires in {format_duration(left)}"
            if left > 0
            else (
                "expired"
                if _expired(listing, c, mine, at, skew)
                else f"expired (free here in {format_duration(listing.takeover_at(c, skew) - at)})"
            )
        )
        why = f'  "{printable(c.reason)}"' if c.reason else ""
        lines.append(f"{mark} {path:<{width}}  {c.mode.value:<6}  {agent:<{awidth}}  {when}{why}\n")
    return "".join(lines)


def _expired(listing: Listing, c: Claim, mine: set[str], at: float, skew: float) -> bool:
    """Mine by my own lease; another's as the protocol judges it (lease and observation)."""
    return c.is_expired(at) if c.ref in mine else listing.expired(c, at, skew)


def _listing_json(
    agent: str, listing: Listing, claims: list[Claim], flags: dict[str, tuple[bool, bool]]
) -> str:
    """emit_json's text of {agent, claims: [public JSON + mine, expired], invalid}, byte for
    byte, laid out as json.dumps(indent=2) lays it out, each claim's object taken as the parse
    cache encoded it (json's indenting encoder is pure Python: once per claim, not per run)."""
    items = [_with_flags(listing.encoded(c).listed, *flags[c.ref]) for c in claims]
    members = {
        "agent": json.dumps(agent, ensure_ascii=False),
        "claims": "[\n    " + _nested(",\n".join(items), 2) + "\n  ]" if items else "[]",
        "invalid": _nested(
            json.dumps([i._asdict() for i in listing.invalid], indent=2, ensure_ascii=False), 1
        ),
    }
    return "{\n" + ",\n".join(f'  "{k}": {v}' for k, v in members.items()) + "\n}\n"


# The members json.dumps(indent=2) writes for each ("mine", "expired") pair, with the brace.
_FLAGS = {
    (m, e): json.dumps({"mine": m, "expired": e}, indent=2)[1:]
    for m in (True, False)
    for e in (True, False)
}


def _with_flags(encoded: str, mine: bool, expired: bool) -> str:
    """An object json.dumps(indent=2) encoded, with "mine" and "expired" added at its end."""
    return encoded[:-2] + "," + _FLAGS[mine, expired]  # '...\n}' + ',\n  "mine": ...\n}'


def _nested(encoded: str, depth: int) -> str:
    """A value json.dumps(indent=2) encoded at depth 0, as it reads `depth` levels in
    (JSON text holds no raw newline but between its lines)."""
    return encoded.replace("\n", "\n" + "  " * depth)
