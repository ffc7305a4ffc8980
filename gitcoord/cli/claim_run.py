"""What `git claim` does, without typer: the typer command (claim_cmd.py) and the lean
entry (entry.py) both call `run_claim`, so the forms agents run in loops start without
importing typer or the other commands."""

from __future__ import annotations

import math
import sys
from typing import Any, TextIO

from gitcoord.cli.claim_fresh import Freshness
from gitcoord.cli.claim_listing import Shown, list_claims
from gitcoord.cli.claim_options import WAIT_FOREVER
from gitcoord.cli.claim_usage import check_hold_and_filters, check_options, check_priority
from gitcoord.cli.context import Context, emit_json, require
from gitcoord.core import timeutil
from gitcoord.core.claim import Claim
from gitcoord.core.durations import format_duration, parse_duration
from gitcoord.core.errors import UsageError, message_for
from gitcoord.core.modes import parse_mode
from gitcoord.core.textsafe import printable
from gitcoord.core.waiter import DEFAULT_PRIORITY
from gitcoord.protocol.coordinator import ClaimOutcome, Request


def run_claim(
    paths: list[str] | None = None,
    mode: str | None = None,
    ttl: str | None = None,
    reason: str = "",
    wait: str | None = None,
    priority: str | None = None,
    delete: bool = False,
    all_: bool = False,
    commit: str | None = None,
    renew: bool = False,
    break_: bool = False,
    check: bool = False,
    mine: bool = False,
    agent: str | None = None,
    under: str | None = None,
    as_json: bool = False,
    command: list[str] | None = None,
) -> int:
    """`git claim` with the options of claim_options.OPTIONS (values as typed) and the
    CMD... given after `--`; the exit status (CMD's, when it ran one)."""
    args = paths or []
    flags = (("-d", delete), ("--renew", renew), ("--break", break_), ("--check", check))
    actions = [n for n, on in flags if on]
    require(len(actions) <= 1, f"{' and '.join(actions)} cannot be combined")
    action = actions[0] if actions else ("claim" if args else "list")
    check_options(action, args, mode, ttl, reason, wait, all_, commit)
    check_priority(wait, priority)
    check_hold_and_filters(action, as_json, mine, agent, under, command)
    ctx = Context.here()
    if action == "list":
        list_claims(ctx, as_json, Shown(mine, agent, under))
    elif action == "claim" and command is not None:
        from gitcoord.cli import claim_hold  # only a hold starts a program

        claim_hold.can_start(command)  # before claiming: a typo holds nothing
        outcome = _claim(
            ctx, args, mode or "write", ttl, reason, wait, as_json, sys.stderr, priority
        )
        return claim_hold.hold(ctx, outcome, command)
    elif action == "claim":
        _claim(ctx, args, mode or "write", ttl, reason, wait, as_json, priority=priority)
    elif action == "--check":
        return _check(ctx, args, mode or "write", as_json)
    elif action == "-d":
        _release(ctx, args, all_, commit, reason, as_json)
    elif action == "--renew":
        _renew(ctx, args, ttl, reason, as_json)
    else:
        _break(ctx, args, reason, as_json)
    return 0


def _check(ctx: Context, args: list[str], mode_text: str, as_json: bool) -> int:
    """--check: who would block a claim of `args` now (one fetch, nothing pushed), and
    the base's commits changing them ([checks] fresh): exit 1 naming them, as the claim's
    refusal would; 0 when the paths are free."""
    require(bool(args), "--check needs paths", "git claim --check PATH...")
    mode = parse_mode(mode_text)
    requests = [Request(p, mode) for p in ctx.claim_paths(args)]
    fresh = Freshness(ctx, [r.path for r in requests])
    blockers, held_off = ctx.coordinator().check(requests, also=fresh.riding())
    stale = fresh.report(claiming=False)
    refusal = fresh.refused or held_off  # enforce: a stale path refuses, as a claim would
    if as_json:  # "free": no holder, no promoted waiter (staleness is reported beside it)
        found = [c.public_json() for c in blockers]
        emit_json({"free": held_off is None, "blockers": found, "stale": stale})
    if refusal is None:
        if not as_json:
            print(printable("free: " + " ".join(str(r.path) for r in requests)))
        return 0
    if as_json:
        print(message_for(refusal), file=sys.stderr)
        return int(refusal.exit_code)
    raise refusal


def _release(
    ctx: Context, args: list[str], all_: bool, commit: str | None, note: str, as_json: bool
) -> None:
    require(
        bool(args) or all_,
        "-d needs paths or --all",
        "git claim -d PATH  or  git claim -d --all",
    )
    sha = ctx.landed_commit(commit) if commit else None
    released = ctx.coordinator().release(ctx.claim_paths(args) if args else None, sha, note)
    _report(
        as_json,
        "released",
        released,
        lambda c: f"released {c.path} ({c.mode.value})" + (f" at {sha[:12]}" if sha else ""),
    )


def _renew(ctx: Context, args: list[str], ttl: str | None, reason: str, as_json: bool) -> None:
    """--renew; a `reason` replaces the claims' reason (none: each keeps its own)."""
    seconds = _lease(ctx, ttl) if ttl is not None else None
    targets = ctx.claim_paths(args) if args else None
    renewed = ctx.coordinator().renew(targets, seconds, reason or None)
    at = timeutil.now()
    _report(
        as_json,
        "renewed",
        renewed,
        lambda c: (
            f"renewed {c.path} ({c.mode.value}, expires in {format_duration(c.expires_at - at)})"
        ),
    )


def _break(ctx: Context, args: list[str], reason: str, as_json: bool) -> None:
    require(len(args) == 1, "--break takes exactly one path")
    require(
        bool(reason.strip()),
        "--break needs a reason: -r TEXT",
        'git claim --break PATH -r "why it is safe to break"',
    )
    outcome = ctx.coordinator().break_claims(ctx.claim_paths(args)[0], reason)
    if as_json:
        emit_json(
            {
                "broken": [c.public_json() for c in outcome.broken],
                "removed_invalid": [i._asdict() for i in outcome.removed],
            }
        )
        return
    for c in outcome.broken:
        print(
            f"broke {printable(c.agent)}'s {c.mode.value} claim on "
            f"{printable(str(c.path))} (recorded in the audit log)"
        )
    for i in outcome.removed:
        print(f"removed {i.ref} ({i.oid[:12]}): {printable(i.problem)}")


def _lease(ctx: Context, text: str) -> int:
    """--ttl, checked against [claims] max_ttl before anything is pushed."""
    seconds = parse_duration(text, what="--ttl")
    longest = ctx.config.claims.max_ttl
    require(
        seconds <= longest,
        f"--ttl {text} is longer than the longest lease, {format_duration(longest)} "
        "([claims] max_ttl in gitcoord.toml)",
        "claim for less and renew it: git claim --renew (a heartbeat)",
    )
    return seconds


def _report(as_json: bool, key: str, claims: list[Claim], line: Any) -> None:
    if as_json:
        emit_json({key: [c.public_json() for c in claims]})
        return
    if not claims:
        print(f"nothing {key}: you hold no claims")
    for c in claims:
        print(printable(line(c)))  # remote data (paths, agents): never a raw control character


def _claim(
    ctx: Context,
    args: list[str],
    mode_text: str,
    ttl_text: str | None,
    reason: str,
    wait_text: str | None,
    as_json: bool,
    out: TextIO | None = None,
    priority: str | None = None,
) -> ClaimOutcome:
    """Claim `args`, saying so on `out` (standard output by default; a hold's CMD owns it)."""
    mode = parse_mode(mode_text)
    ttl = _lease(ctx, ttl_text) if ttl_text is not None else ctx.config.claims.ttl
    wait: float | None = None
    if wait_text == WAIT_FOREVER:
        wait = math.inf
    elif wait_text is not None:
        try:
            wait = float(parse_duration(wait_text, what="--wait"))
        except UsageError as exc:
            raise UsageError(
                exc.message,
                fix="a limit has a unit (--wait 90s, 10m, 2h); a file named like a "
                f"duration is claimed as ./{wait_text}: git claim --wait ./{wait_text}",
            ) from None
    requests = [Request(p, mode) for p in ctx.claim_paths(args)]
    fresh = Freshness(ctx, [r.path for r in requests])
    fresh.before_push()  # enforce: a stale path refuses here, before anything is pushed
    outcome = ctx.coordinator().claim(
        requests,
        ttl=ttl,
        reason=reason,
        wait=wait,
        also=fresh.riding(),
        priority=priority or DEFAULT_PRIORITY,
    )
    if as_json:
        emit_json(
            {
                "claimed": [c.public_json() for c in outcome.held],
                "taken_from": [c.public_json() for c in outcome.taken_from],
                "waited_seconds": round(outcome.waited, 3),
                "stale": fresh.report(claiming=True),
            }
        )
        return outcome
    at = timeutil.now()
    for prev in outcome.taken_from:
        print(
            printable(
                f"took over {prev.path} from {prev.agent} (its claim expired "
                f"{format_duration(at - prev.lease_end)} ago)"
            ),
            file=out,
        )
    for c in outcome.held:
        left = format_duration(c.expires_at - at)
        print(printable(f"claimed {c.path} ({c.mode.value}, expires in {left})"), file=out)
    fresh.report(claiming=True)  # warn: on standard error, after what was claimed
    return outcome
