"""The protocol's refusals and errors, worded once: each says what happened and ends with
the command that resolves it (STYLE.md: every refusal names its fix)."""

from __future__ import annotations

from collections.abc import Sequence

from gitcoord.core.claim import Claim
from gitcoord.core.errors import CannotVerify, Refused
from gitcoord.core.paths import ClaimPath
from gitcoord.core.textsafe import printable
from gitcoord.core.wording import describe
from gitcoord.git.transport import PushResult
from gitcoord.protocol.types import Request
from gitcoord.store.listing import InvalidRef, Listing


def quote(path: ClaimPath | str) -> str:
    """A path as the user would type it in a shell."""
    text = printable(str(path))
    safe = all(ch.isalnum() or ch in "/._-" for ch in text)
    return text if safe else "'" + text.replace("'", "'\\''") + "'"


def holder(c: Claim, at: float, listing: Listing | None, skew: float) -> str:
    """describe(), saying when this clone may take an expired claim over."""
    return describe(c, at, listing.takeover_at(c, skew) if listing else None)


def newer_format(existing: InvalidRef, path: str) -> CannotVerify:
    return CannotVerify(
        f"{existing.ref} holds a claim on {printable(path)} from a newer gitcoord: "
        f"{existing.problem}; an older gitcoord never overwrites or deletes it",
        fix="upgrade gitcoord: pip install -U gitcoord",
    )


def push_refused(result: PushResult, remote: str) -> Refused:
    """A server-side hook said no (PushOutcome.REFUSED), or a ref shadows the layout."""
    shadow = result.shadowed()
    if shadow is not None:
        wanted, blocker = shadow
        return Refused(
            f"the ref {blocker} on the remote is in the way of {wanted}: it is not part of "
            "gitcoord's layout (a claim ref at the wrong depth, or a ref under a log ref)",
            fix=f"remove it: git push {remote} :{blocker}",
        )
    said = result.remote_said()
    detail = ("\n  " + "\n  ".join(printable(s) for s in said if s)) if said else ""
    return Refused(
        f"the remote refused the push ({result.refusals()[0].summary}){detail}",
        fix="read the server's message above; `gitcoord log` shows recent claim changes",
    )


def blocked(
    holders: list[Claim],
    requests: Sequence[Request],
    at: float,
    listing: Listing | None,
    skew: float,
    *,
    waited: bool,
) -> Refused:
    """A claim refused (or given up on after --wait) because of `holders`."""
    seen: dict[str, Claim] = {c.ref: c for c in holders}
    lines = [holder(c, at, listing, skew) for c in seen.values()]
    paths = " ".join(quote(r.path) for r in requests)
    first = next(iter(seen.values()))
    head = "gave up waiting: " if waited else "refused: "
    message = head + lines[0]
    if len(lines) > 1:
        message += "".join(f"\n  also: {ln}" for ln in lines[1:])
    fix = (
        f"wait for it: `git claim --wait {paths}`; ask {printable(first.agent)} to release "
        f"(`git claim -d {quote(first.path)}`); or break it: "
        f"`git claim --break {quote(first.path)} -r REASON`"
    )
    return Refused(message, fix=fix)


def not_held(
    path: ClaimPath, others: list[Claim], at: float, listing: Listing | None, skew: float
) -> Refused:
    """A renewal or release of a path this session holds nothing on."""
    held = (
        ": " + "; ".join(holder(c, at, listing, skew) for c in others)
        if others
        else (" (it expired and was taken, was broken, or never existed)")
    )
    return Refused(
        f"you hold no claim on {printable(str(path))}{held}",
        fix=f"see `gitcoord log {quote(path)}`; `git claim` lists live claims",
    )


def lost(gone: list[tuple[str, str]], others: list[str], done: int, verb: str) -> Refused:
    """Claims this session was granted that are gone: (path, how) each, the first path's
    holders now (described), and how many other claims the command did `verb`."""
    first, how = gone[0]
    message = f"your claim on {printable(first)} was lost ({printable(how)})"
    if others:
        message += ": " + "; ".join(others)
    if len(gone) > 1:
        message += "; also lost: " + ", ".join(
            f"another claim on {printable(path)}" if path == first else printable(path)
            for path, _ in gone[1:]
        )
    if done:
        message += f" (your other {done} claim(s) were {verb})"
    return Refused(
        message,
        fix=f"see `gitcoord log {quote(first)}`; claim it again when free: "
        f"`git claim --wait {quote(first)}`",
    )


def superseded(path: ClaimPath, why: Refused) -> Refused:
    """A renewal that came after its lease ended met a claim granted meanwhile."""
    return Refused(
        f"your claim on {printable(str(path))} had expired and was "
        f"superseded (withdrawn): {why.message.removeprefix('refused: ')}",
        fix=f"see `gitcoord log {quote(path)}`; claim it again when free: "
        f"`git claim --wait {quote(path)}`",
    )


def no_break_target(path: ClaimPath) -> Refused:
    return Refused(
        f"no claim of another agent on {path} to break",
        fix="`git claim` lists live claims",
    )


def breaking_not_allowed(path: ClaimPath) -> Refused:
    return Refused(
        f"breaking claims is not allowed here ([claims] allow_break = false); {path} stays claimed",
        fix="ask the holder to release it, or wait for it to expire",
    )
