"""The protocol's refusals and errors, worded once: each says what happened and ends with
the command that resolves it (STYLE.md: every refusal names its fix)."""

from __future__ import annotations

from collections.abc import Sequence

from gitcoord.core.auditlog import Fate
from gitcoord.core.claim import Claim, Holder
from gitcoord.core.durations import format_duration
from gitcoord.core.errors import CannotVerify, Refused
from gitcoord.core.identity import command_from_here, release_from_here
from gitcoord.core.paths import ClaimPath, overlaps
from gitcoord.core.textsafe import path_word, printable
from gitcoord.core.waiter import Waiter
from gitcoord.core.wording import describe, held_by, is_other_session, other_session
from gitcoord.git.transport import PushResult
from gitcoord.protocol.types import Request
from gitcoord.store.listing import InvalidRef, Listing


def quote(path: ClaimPath | str) -> str:
    """A path as the user would type it in a shell."""
    return path_word(str(path))


def holder(
    c: Claim, at: float, listing: Listing | None, skew: float, me: Holder | None = None
) -> str:
    """describe(), saying when this clone may take an expired claim over, and naming a
    claim of `me`'s other session as such."""
    return describe(c, at, listing.takeover_at(c, skew) if listing else None, me)


def mode_flag(mode: str) -> str:
    """The `-m MODE` a command needs to ask for `mode` again (none for the default, write)."""
    return "" if mode == "write" else f" -m {printable(mode)}"


def from_here(c: Claim, verb: str = "-d") -> str:
    """The command that acts on my other session's claim `c` from this session."""
    return command_from_here(c.session, str(c.path), verb)


def _where(c: Claim, requests: Sequence[Request]) -> str:
    """How a path I asked for meets `c` when it is not `c`'s own path: `docs/guide.md is
    inside docs/: ` (or, for a directory I asked for, `docs/ contains docs/guide.md: `)."""
    for r in requests:
        if r.path != c.path and overlaps(r.path, c.path):
            relation = _relation(r.path, c.path)
            return f"{printable(str(r.path))} {relation} {printable(str(c.path))}: "
    return ""


def _relation(mine: ClaimPath, theirs: ClaimPath) -> str:
    """How `mine` meets `theirs` (they overlap), as words between the two."""
    if theirs.is_pattern and not mine.is_pattern:
        return "is matched by" if not mine.is_dir else "may hold paths matched by"
    if mine.is_pattern:
        if theirs.is_pattern:
            return "may match a path of"  # decided conservatively (core/pattern_overlap.py)
        return "matches" if not theirs.is_dir else "may match paths in"
    inside = theirs.is_dir and len(theirs.parts) < len(mine.parts)
    return "is inside" if inside or not mine.is_dir else "contains"


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
    me: Holder | None = None,
    checked: bool = False,
) -> Refused:
    """A claim refused (or given up on after --wait, or found blocked by `git claim
    --check`: `checked`) because of `holders`."""
    seen: dict[str, Claim] = {c.ref: c for c in holders}
    lines = [_where(c, requests) + holder(c, at, listing, skew, me) for c in seen.values()]
    paths = " ".join(quote(r.path) for r in requests)
    first = next(iter(seen.values()))
    head = "would be refused: " if checked else "gave up waiting: " if waited else "refused: "
    message = head + lines[0]
    if len(lines) > 1:
        message += "".join(f"\n  also: {ln}" for ln in lines[1:])
    modes = {r.mode.value for r in requests}
    flag = mode_flag(modes.pop()) if len(modes) == 1 else ""
    wait = f"wait for it: `git claim{flag} --wait {paths}`"
    if is_other_session(first, me):
        return Refused(
            message, fix=f"{release_from_here(first.session, str(first.path))}; or {wait}"
        )
    fix = (
        f"{wait}; ask {printable(first.agent)} to release "
        f"(`git claim -d {quote(first.path)}`); or break it: "
        f"`git claim --break {quote(first.path)} -r REASON`"
    )
    return Refused(message, fix=fix)


def not_held(
    path: ClaimPath,
    others: list[Claim],
    at: float,
    me: Holder,
    verb: str,
    fate: Fate | None,
) -> Refused:
    """A renewal (`verb` --renew) or release (-d) of a path this session holds nothing on:
    who holds it instead, or (nobody does) what the audit log says became of mine."""
    p = printable(str(path))
    if not others:
        return Refused(
            f"you hold no claim on {p}: {_fate_words(fate, at)}, and nobody holds it now",
            fix=f"see `gitcoord log {quote(path)}`; claim it: "
            f"`git claim{mode_flag(fate.mode if fate else 'write')} {quote(path)}`",
        )
    own = [c for c in others if is_other_session(c, me)]
    where = " in this session" if own else ""
    held = " and by ".join(held_by(c, at, None, me) for c in others)
    if own:
        act = "renew" if verb == "--renew" else "release"
        fix = f"{act} it from here: `{from_here(own[0], verb)}`"
    else:
        fix = f"see `gitcoord log {quote(path)}`; `git claim` lists live claims"
    return Refused(f"you hold no claim on {p}{where}; it is held by {held}", fix=fix)


def _ago(at: float, then: float | None) -> str:
    return f"{format_duration(max(0.0, at - then))} ago" if then is not None else "earlier"


def _fate_words(fate: Fate | None, at: float) -> str:
    """What became of my last claim on a path, as the audit log tells it."""
    if fate is None:
        return "the audit log shows no claim of yours on it"
    if fate.event in ("break", "take"):
        return f"yours was {removal(fate, ' ' + _ago(at, fate.at))}"
    if fate.event == "release":
        return f"you released it {_ago(at, fate.at)}"
    if fate.event == "retract":
        return f"yours was withdrawn {_ago(at, fate.at)}"
    return f"yours expired {_ago(at, fate.until)}"


def removal(fate: Fate, when: str = "") -> str:
    """How another agent removed a claim: broken (with the breaker's reason) or taken
    over after it expired; `when` follows the agent's name."""
    if fate.event == "break":
        why = f': "{printable(fate.reason)}"' if fate.reason else ""
        return f"broken by {printable(fate.agent)}{when}{why}"
    return f"taken over by {printable(fate.agent)}{when} after it expired"


def lost(
    gone: list[tuple[str, str]], others: list[str], done: int, verb: str, mode: str
) -> Refused:
    """Claims this session was granted that are gone: (path, how) each, the first path's
    holders now (described), how many other claims the command did `verb`, and the first
    claim's mode (to claim it again)."""
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
        f"`git claim{mode_flag(mode)} --wait {quote(first)}`",
    )


def superseded(c: Claim, why: Refused) -> Refused:
    """A renewal of `c` that came after its lease ended met a claim granted meanwhile."""
    return Refused(
        f"your claim on {printable(str(c.path))} had expired and was "
        f"superseded (withdrawn): {why.message.removeprefix('refused: ')}",
        fix=f"see `gitcoord log {quote(c.path)}`; claim it again when free: "
        f"`git claim{mode_flag(c.mode.value)} --wait {quote(c.path)}`",
    )


def no_break_target(
    path: ClaimPath, near: list[Claim], reason: str, mine: bool, me: Holder
) -> Refused:
    """A break of a path no other holder claims: say whose claim is nearby instead (one on
    a directory above it or a path inside it, `near`), or that it is my own."""
    p = printable(str(path))
    if near:
        c = near[0]
        whose = (
            f"the {c.mode.value} claim of {other_session(c)}"
            if is_other_session(c, me)
            else f"{printable(c.agent)}'s {c.mode.value} claim"
        )
        where = (
            "covered by"
            if len(c.path.parts) < len(path.parts)
            else "not claimed itself; inside it is"
        )
        return Refused(
            f"{p} is {where} {whose} on {printable(str(c.path))}",
            fix=f"break that: `git claim --break {quote(c.path)} -r {quote(reason)}`",
        )
    if mine:
        return Refused(
            f"{p} is claimed by you: there is nothing to break",
            fix=f"release it: `git claim -d {quote(path)}`",
        )
    return Refused(
        f"no claim of another agent on {p} to break", fix="`git claim` lists live claims"
    )


def breaking_not_allowed(path: ClaimPath) -> Refused:
    return Refused(
        f"breaking claims is not allowed here ([claims] allow_break = false); {path} stays claimed",
        fix="ask the holder to release it, or wait for it to expire",
    )


def waiter_line(w: Waiter, at: float | None) -> str:
    """One line on a waiter in the queue: `bob waits to write src/ (high priority, waiting
    2m10s)`; without `at`, without how long (a progress line that changes only with the
    queue)."""
    paths = ", ".join(printable(str(p)) for p in w.paths[:3])
    more = f" and {len(w.paths) - 3} more" if len(w.paths) > 3 else ""
    waited = f", waiting {format_duration(max(0.0, at - w.since))}" if at is not None else ""
    who = f"{printable(w.agent)} waits to {w.mode.value} {paths}{more}"
    return f"{who} ({w.priority} priority{waited})"


def behind_waiters(
    ahead: Sequence[Waiter],
    requests: Sequence[Request],
    at: float,
    promote_after: float,
    *,
    waited: bool,
    checked: bool = False,
) -> Refused:
    """A claim that defers to waiters (protocol/queue.py): refused at once (a new read or
    intent claim meeting a writer waiting past [claims] promote_after), or given up after
    --wait behind those ahead of it in the queue."""
    first = ahead[0]
    head = "would be refused: " if checked else "gave up waiting: " if waited else "refused: "
    limit = format_duration(promote_after)
    why = (
        "ahead in the queue"
        if waited
        else f"a writer waiting longer than [claims] promote_after ({limit}) goes before "
        "new read and intent claims"
    )
    message = f"{head}{waiter_line(first, at)}: {why}"
    message += "".join(f"\n  also: {waiter_line(w, at)}" for w in ahead[1:3])
    paths = " ".join(quote(r.path) for r in requests)
    modes = {r.mode.value for r in requests}
    flag = mode_flag(modes.pop()) if len(modes) == 1 else ""
    return Refused(
        message,
        fix=f"wait behind it: `git claim{flag} --wait {paths}`; `git claim` shows the queue",
    )
