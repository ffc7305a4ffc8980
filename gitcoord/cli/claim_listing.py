"""`git claim` with no paths: the listing of live claims, as a table or as JSON.

A holder is (agent, session): `*` marks this session's claims, `+` those of my agent in
another session (another working tree, or another harness session in this one), with the
session and where it works, and a legend saying how to release them from here. Listing
needs no identity: without one, no claim is marked.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import NamedTuple

from gitcoord.cli.context import Context
from gitcoord.core import timeutil
from gitcoord.core.claim import Claim, Holder
from gitcoord.core.durations import format_duration
from gitcoord.core.identity import release_from_here
from gitcoord.core.paths import ClaimPath, overlaps
from gitcoord.core.textsafe import printable
from gitcoord.core.waiter import Waiter
from gitcoord.core.wording import is_mine, is_other_session, other_session
from gitcoord.store.listing import Listing

MAX_REASON = 60  # characters of a reason a table shows; --json has it whole


class Row(NamedTuple):
    """One line of a claims table (every field already printable)."""

    mark: str
    path: str
    mode: str
    agent: str
    when: str
    note: str = ""


def one_line(text: str, limit: int = MAX_REASON) -> str:
    """Remote text for a table cell: escaped onto one line (a newline shows as \\n), and
    cut with "..." past `limit` characters."""
    shown = printable(text)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def row(c: Claim, me: Holder | None, when: str) -> Row:
    mark = "*" if is_mine(c, me) else "+" if is_other_session(c, me) else " "
    note = f"({other_session(c)})" if mark == "+" else ""
    if c.reason:
        note = f'{note}  "{one_line(c.reason)}"'.lstrip()
    return Row(mark, printable(str(c.path)), c.mode.value, printable(c.agent), when, note)


def table(rows: Sequence[Row], indent: str = "") -> list[str]:
    """The rows with their columns aligned (paths and agents wide up to a limit)."""
    if not rows:
        return []
    pw = min(max(len(r.path) for r in rows), 60)
    aw = min(max(len(r.agent) for r in rows), 30)
    ww = max(len(r.when) for r in rows)
    return [
        f"{indent}{r.mark} {r.path:<{pw}}  {r.mode:<6}  {r.agent:<{aw}}  "
        f"{r.when:<{ww}}  {r.note}".rstrip()
        for r in rows
    ]


class Shown(NamedTuple):
    """Which claims a listing shows (`git claim`, `gitcoord status`): --mine (my agent's,
    in any session), --agent NAME, --under DIR (in DIR's subtree, or a directory claim
    covering DIR); all by default."""

    mine: bool = False
    agent: str | None = None
    under: str | None = None


EVERY = Shown()  # no filter


def shown_claims(ctx: Context, claims: list[Claim], shown: Shown) -> list[Claim]:
    """The claims of `claims` that `shown` selects, in their order."""
    agent = ctx.me.agent if shown.mine else shown.agent  # --mine needs an identity
    if agent is not None:
        claims = [c for c in claims if c.agent == agent]
    if shown.under is not None:
        top = _under(ctx, shown.under)
        claims = [c for c in claims if overlaps(top, c.path)]
    return claims


def _under(ctx: Context, under: str) -> ClaimPath:
    """--under DIR as the claim path a listing's entries must overlap (a pattern as is)."""
    asked = ctx.claim_paths([under])[0]
    return asked if asked.is_pattern else ClaimPath(asked.key, is_dir=True)


def shown_waiters(ctx: Context, listing: Listing, at: float, shown: Shown) -> list[Waiter]:
    """The live waiters (the queue, first in line first) that `shown` selects."""
    waiters = listing.live_waiters(at, ctx.config.claims.clock_skew)
    agent = ctx.me.agent if shown.mine else shown.agent
    if agent is not None:
        waiters = [w for w in waiters if w.agent == agent]
    if shown.under is not None:
        top = _under(ctx, shown.under)
        waiters = [w for w in waiters if any(overlaps(top, p) for p in w.paths)]
    return waiters


def queue_lines(waiters: Sequence[Waiter], me: Holder | None, at: float) -> list[str]:
    """The queue as a table: `* alice  write  src/api.py  high  waiting 40s`."""
    rows = [
        Row(
            "*" if me is not None and (w.agent, w.session) == me else " ",
            one_line(", ".join(str(p) for p in w.paths)),
            w.mode.value,
            printable(w.agent),
            f"waiting {format_duration(max(0.0, at - w.since))}",
            w.priority,
        )
        for w in waiters
    ]
    return table(rows, "  ")


def list_claims(ctx: Context, as_json: bool, shown: Shown = EVERY) -> None:
    listing = ctx.listing()
    ctx.warn_invalid(listing)
    sys.stdout.write(_render(ctx, listing, as_json, shown))


def when(listing: Listing, c: Claim, me: Holder | None, at: float, skew: float) -> str:
    left = c.lease_end - at
    if left > 0:
        return f"expires in {format_duration(left)}"
    if _expired(listing, c, me, at, skew):
        return "expired"
    return f"expired (free here in {format_duration(listing.takeover_at(c, skew) - at)})"


def _render(ctx: Context, listing: Listing, as_json: bool, shown: Shown) -> str:
    at = timeutil.now()
    skew = ctx.config.claims.clock_skew
    me = ctx.viewer_holder
    claims = listing.by_path()
    if shown != EVERY:
        claims = shown_claims(ctx, claims, shown)
    waiters = shown_waiters(ctx, listing, at, shown)
    if as_json:
        flags = {
            c.ref: (is_mine(c, me), is_other_session(c, me), _expired(listing, c, me, at, skew))
            for c in claims
        }
        return _listing_json(me.agent if me else None, listing, claims, flags, waiters)
    queue = [f"waiting ({len(waiters)}):", *queue_lines(waiters, me, at)] if waiters else []
    if not claims:
        none = "no live claims\n" if shown == EVERY else "no live claims match\n"
        return none + "".join(line + "\n" for line in queue)
    # Remote data is shown escaped: a forged path or reason cannot fake a line.
    rows = [row(c, me, when(listing, c, me, at, skew)) for c in claims]
    lines = table(rows)
    others = sorted({printable(c.session) for c in claims if is_other_session(c, me)})
    if others:
        session = others[0] if len(others) == 1 else "SESSION"
        lines.append(f"+: your other session's claim; {release_from_here(session, 'PATH')}")
    lines += queue
    return "".join(line + "\n" for line in lines)


def _expired(listing: Listing, c: Claim, me: Holder | None, at: float, skew: float) -> bool:
    """Mine by my own lease; another holder's as the protocol judges it (lease and
    observation)."""
    return c.is_expired(at) if is_mine(c, me) else listing.expired(c, at, skew)


def _listing_json(
    agent: str | None,
    listing: Listing,
    claims: list[Claim],
    flags: dict[str, tuple[bool, bool, bool]],
    waiters: Sequence[Waiter],
) -> str:
    """emit_json's text of {agent, claims: [public JSON + mine, mine_other_session,
    expired], invalid, waiting: [the queue's waiters]}, byte for byte, laid out as
    json.dumps(indent=2) lays it out, each claim's object taken as the parse cache
    encoded it (json's indenting encoder is pure Python: once per claim, not per run).
    The public JSON has host, worktree and session."""
    items = [_with_flags(listing.encoded(c).listed, *flags[c.ref]) for c in claims]
    members = {
        "agent": json.dumps(agent, ensure_ascii=False),
        "claims": "[\n    " + _nested(",\n".join(items), 2) + "\n  ]" if items else "[]",
        "invalid": _nested(
            json.dumps([i._asdict() for i in listing.invalid], indent=2, ensure_ascii=False), 1
        ),
        "waiting": _nested(
            json.dumps([w.public_json() for w in waiters], indent=2, ensure_ascii=False), 1
        ),
    }
    return "{\n" + ",\n".join(f'  "{k}": {v}' for k, v in members.items()) + "\n}\n"


# The members json.dumps(indent=2) writes for each flag triple, with the closing brace.
_FLAGS = {
    (m, o, e): json.dumps({"mine": m, "mine_other_session": o, "expired": e}, indent=2)[1:]
    for m in (True, False)
    for o in (True, False)
    for e in (True, False)
}


def _with_flags(encoded: str, mine: bool, other: bool, expired: bool) -> str:
    """An object json.dumps(indent=2) encoded, with the flags added at its end."""
    return encoded[:-2] + "," + _FLAGS[mine, other, expired]  # '...\n}' + ',\n  "mine"...\n}'


def _nested(encoded: str, depth: int) -> str:
    """A value json.dumps(indent=2) encoded at depth 0, as it reads `depth` levels in
    (JSON text holds no raw newline but between its lines)."""
    return encoded.replace("\n", "\n" + "  " * depth)
