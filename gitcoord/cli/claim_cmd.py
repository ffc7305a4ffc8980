"""`git claim` / `gitcoord claim`: list, claim, release, renew and break claims."""

from __future__ import annotations

import math
from typing import Annotated, Any

import typer

from gitcoord import timeutil
from gitcoord.claim import Claim
from gitcoord.cli.context import Context, emit_json, require
from gitcoord.durations import format_duration, parse_duration
from gitcoord.errors import UsageError
from gitcoord.gitcmd import run_git
from gitcoord.modes import parse_mode
from gitcoord.protocol import Request

HELP = """List, claim, release, renew or break claims on paths.

A claim is a ref on the shared remote, created by an atomic compare-and-swap push:
a refused push is a refused claim. Claims on several paths are all-or-nothing.
A directory claim (trailing slash, or an existing directory) covers its subtree.

\b
Examples:
  git claim                          list live claims (* marks mine)
  git claim src/api.py -r "fix auth" claim a file for writing
  git claim -m read docs/            share a directory for reading
  git claim --wait=10m src/db.py     queue until the path is free
  git claim -d src/api.py --commit HEAD   release, recording the commit that landed
  git claim --renew                  extend all my claims (heartbeat)
  git claim --break src/x.py -r "holder is gone"   break another's claim (recorded)

Exit codes: 0 done, 1 refused (names the holder), 2 usage, 3 remote unreachable.
"""

WAIT_FOREVER = "forever"


def claim_command(
    paths: Annotated[
        list[str] | None, typer.Argument(help="Paths to claim or act on.", metavar="PATH...")
    ] = None,
    mode: Annotated[
        str, typer.Option("--mode", "-m", help="write, read or intent.", metavar="MODE")
    ] = "write",
    ttl: Annotated[
        str | None,
        typer.Option(
            "--ttl",
            help="Lease length: 90s, 30m, 2h, 1d (default from config).",
            metavar="DURATION",
        ),
    ] = None,
    reason: Annotated[
        str,
        typer.Option(
            "--reason", "-r", help="Why (shown to others; required by --break).", metavar="TEXT"
        ),
    ] = "",
    wait: Annotated[
        str | None,
        typer.Option(
            "--wait",
            help="Queue until free; --wait alone waits forever, --wait=10m at most 10m.",
            metavar="[=DURATION]",
        ),
    ] = None,
    delete: Annotated[bool, typer.Option("--delete", "-d", help="Release my claims.")] = False,
    all_: Annotated[bool, typer.Option("--all", help="With -d or --renew: all of mine.")] = False,
    commit: Annotated[
        str | None,
        typer.Option("--commit", help="With -d: the commit that landed the work.", metavar="SHA"),
    ] = None,
    renew: Annotated[bool, typer.Option("--renew", help="Extend my claims.")] = False,
    break_: Annotated[
        bool, typer.Option("--break", help="Break another agent's claim (needs -r).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    args = paths or []
    actions = [n for n, on in (("-d", delete), ("--renew", renew), ("--break", break_)) if on]
    require(len(actions) <= 1, f"{' and '.join(actions)} cannot be combined")
    action = actions[0] if actions else ("claim" if args else "list")
    require(not all_ or action in ("-d", "--renew"), "--all goes with -d or --renew")
    require(not (all_ and args), "give paths or --all, not both")
    require(commit is None or action == "-d", "--commit goes with -d")
    require(wait is None or action == "claim", "--wait goes with claiming paths")
    require(mode == "write" or action == "claim", "--mode goes with claiming paths")
    ctx = Context.here()
    if action == "list":
        _list(ctx, as_json)
    elif action == "claim":
        _claim(ctx, args, mode, ttl, reason, wait, as_json)
    elif action == "-d":
        require(
            bool(args) or all_,
            "-d needs paths or --all",
            "git claim -d PATH  or  git claim -d --all",
        )
        sha = _resolve_commit(ctx, commit) if commit else None
        released = ctx.coordinator().release(ctx.claim_paths(args) if args else None, sha)
        _report(
            as_json,
            "released",
            released,
            lambda c: f"released {c.path} ({c.mode.value})" + (f" at {sha[:12]}" if sha else ""),
        )
    elif action == "--renew":
        seconds = parse_duration(ttl, what="--ttl") if ttl else None
        renewed = ctx.coordinator().renew(ctx.claim_paths(args) if args else None, seconds)
        _report(
            as_json,
            "renewed",
            renewed,
            lambda c: f"renewed {c.path} ({c.mode.value}) until {timeutil.to_iso(c.expires_at)}",
        )
    else:
        require(len(args) == 1, "--break takes exactly one path")
        require(
            bool(reason.strip()),
            "--break needs a reason: -r TEXT",
            'git claim --break PATH -r "why it is safe to break"',
        )
        broken = ctx.coordinator().break_claims(ctx.claim_paths(args)[0], reason)
        _report(
            as_json,
            "broken",
            broken,
            lambda c: (
                f"broke {c.agent}'s {c.mode.value} claim on {c.path} (recorded in the audit log)"
            ),
        )


def _resolve_commit(ctx: Context, commit: str) -> str:
    res = run_git(
        ["rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}"],
        cwd=ctx.repo.toplevel,
        check=False,
    )
    if res.returncode != 0:
        raise UsageError(f"--commit {commit!r} is not a commit in this repository")
    return res.out.strip()


def _report(as_json: bool, key: str, claims: list[Claim], line: Any) -> None:
    if as_json:
        emit_json({key: [c.public_json() for c in claims]})
        return
    if not claims:
        print(f"nothing {key}: you hold no claims")
    for c in claims:
        print(line(c))


def _claim(
    ctx: Context,
    args: list[str],
    mode_text: str,
    ttl_text: str | None,
    reason: str,
    wait_text: str | None,
    as_json: bool,
) -> None:
    mode = parse_mode(mode_text)
    ttl = parse_duration(ttl_text, what="--ttl") if ttl_text else ctx.config.claims.ttl
    wait: float | None = None
    if wait_text is not None:
        wait = (
            math.inf
            if wait_text == WAIT_FOREVER
            else float(parse_duration(wait_text, what="--wait"))
        )
    require(len(reason) <= 2000, "--reason is longer than 2000 characters")
    requests = [Request(p, mode) for p in ctx.claim_paths(args)]
    outcome = ctx.coordinator().claim(requests, ttl=ttl, reason=reason, wait=wait)
    if as_json:
        emit_json(
            {
                "claimed": [c.public_json() for c in outcome.held],
                "taken_from": [c.public_json() for c in outcome.taken_from],
                "waited_seconds": round(outcome.waited, 3),
            }
        )
        return
    at = timeutil.now()
    for prev in outcome.taken_from:
        print(
            f"took over {prev.path} from {prev.agent} (its claim expired "
            f"{format_duration(at - prev.expires_at)} ago)"
        )
    for c in outcome.held:
        print(f"claimed {c.path} ({c.mode.value}, expires in {format_duration(c.expires_at - at)})")


def _list(ctx: Context, as_json: bool) -> None:
    listing = ctx.listing()
    ctx.warn_invalid(listing)
    at = timeutil.now()
    skew = ctx.config.claims.clock_skew
    claims = sorted(listing.claims, key=lambda c: (c.path, c.mode.value, c.agent))
    mine = {c.ref for c in claims if c.agent == ctx.me.agent and c.session == ctx.me.session}
    if as_json:
        emit_json(
            {
                "agent": ctx.me.agent,
                "claims": [
                    {**c.public_json(), "mine": c.ref in mine, "expired": c.is_expired(at, skew)}
                    for c in claims
                ],
                "invalid": [i.__dict__ for i in listing.invalid],
            }
        )
        return
    if not claims:
        print("no live claims")
        return
    width = min(max(len(str(c.path)) for c in claims), 60)
    awidth = min(max(len(c.agent) for c in claims), 30)
    for c in claims:
        mark = "*" if c.ref in mine else " "
        left = c.expires_at - at
        when = (
            f"expires in {format_duration(left)}"
            if left > 0
            else ("expired" + ("" if c.is_expired(at, skew) else " (within skew)"))
        )
        why = f'  "{c.reason}"' if c.reason else ""
        print(f"{mark} {c.path!s:<{width}}  {c.mode.value:<6}  {c.agent:<{awidth}}  {when}{why}")
