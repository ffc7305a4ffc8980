"""The claims check: a path another holder has claimed (another agent, or another session
of mine), or a `[claims] require` path I hold not. Whose claim is whose: policy/agents.py."""

from __future__ import annotations

from collections.abc import Sequence

from gitcoord.core.claim import Claim
from gitcoord.core.durations import format_duration
from gitcoord.core.identity import release_from_here
from gitcoord.core.modes import Mode
from gitcoord.core.overlap import PathIndex
from gitcoord.core.patterns import first_match
from gitcoord.core.textsafe import path_word, printable
from gitcoord.core.wording import other_session
from gitcoord.policy.agents import Author
from gitcoord.policy.findings import Finding, PolicyInput, leave_out, mode_of, why


def _held(inp: PolicyInput, me: Author, p: str, c: Claim, mode: str) -> Finding:
    left = format_duration(max(0.0, c.lease_end - inp.now))
    agent, where = printable(c.agent), printable(str(c.path))  # remote data
    word = path_word(p)  # wait for the path being changed, not the whole of a wider claim
    reason = f'{agent}\'s reason: "{printable(c.reason)}"; ' if c.reason else ""
    what = f"({c.mode.value} claim on {where}, expires in {left})"
    if me.other_session(c):
        holder, key = other_session(c), "session"
        # The other session may be working: waiting comes first, as in git claim's refusal.
        fix = f"{release_from_here(c.session, where)}; or wait for it: git claim --wait {word}"
    else:
        holder, key = agent, "claims"
        fix = f"git claim --wait {word}   (or {leave_out(inp, p, 'leave it out: ')})"
    return Finding(
        check="claims",
        mode=mode,
        path=p,
        subject=agent,
        message=f"{p} is claimed by {holder} {what}",
        reason=reason + why(inp, key),
        fix=fix,
    )


def my_write_claims(claims: Sequence[Claim], me: Author, now: float) -> PathIndex:
    """My live write claims (mine only until expires_at: no skew for my own lease), which
    cover a `[claims] require` path and make an auto-claim unnecessary."""
    return PathIndex(
        [c for c in claims if me.holds(c) and c.mode is Mode.WRITE and not c.is_expired(now)]
    )


def claim_findings(inp: PolicyInput, paths: Sequence[str]) -> list[Finding]:
    mode = mode_of(inp.config, "claims")
    skew = inp.config.claims.clock_skew
    me = Author(inp.agent, inp.session)
    # Others' claims count until expires_at + skew; mine only until expires_at.
    others = PathIndex(
        [c for c in inp.claims if not me.holds(c) and not c.is_expired(inp.now, skew)]
    )
    mine = my_write_claims(inp.claims, me, inp.now)
    out: list[Finding] = []
    for p in paths:
        covering = (others.claims[i] for i in others.covering(p))
        # Another agent first (releasing my own would not free the path), then writers.
        held = sorted(
            covering, key=lambda c: (c.agent == inp.agent, c.mode is not Mode.WRITE, c.agent)
        )
        if held:
            out.append(_held(inp, me, p, held[0], mode))
            continue
        pattern = first_match(inp.config.claims.require, p)
        if pattern is not None and not mine.covering(p):
            out.append(
                Finding(
                    check="claims",
                    mode=mode,
                    path=p,
                    subject=pattern,
                    message=f"{p} needs a write claim of mine ([claims] require {pattern!r})",
                    reason=why(inp, "require"),
                    fix=f"git claim {path_word(p)}",
                )
            )
    return out
