"""The claims check: a path another agent holds, or a `[claims] require` path I hold not."""

from __future__ import annotations

from collections.abc import Sequence

from gitcoord.core.claim import Claim
from gitcoord.core.durations import format_duration
from gitcoord.core.modes import Mode
from gitcoord.core.overlap import PathIndex
from gitcoord.core.patterns import first_match
from gitcoord.core.textsafe import printable
from gitcoord.policy.findings import Finding, PolicyInput, mode_of, why


def _held(inp: PolicyInput, p: str, c: Claim, mode: str) -> Finding:
    left = format_duration(max(0.0, c.lease_end - inp.now))
    agent, where = printable(c.agent), printable(str(c.path))  # remote data
    reason = f'{agent}\'s reason: "{printable(c.reason)}"; ' if c.reason else ""
    return Finding(
        check="claims",
        mode=mode,
        path=p,
        subject=agent,
        message=f"{p} is claimed by {agent} ({c.mode.value} claim on {where}, expires in {left})",
        reason=reason + why(inp, "claims"),
        fix=f"git claim --wait {where}   (or leave it out: git restore --staged {p})",
    )


def claim_findings(inp: PolicyInput, paths: Sequence[str]) -> list[Finding]:
    mode = mode_of(inp.config, "claims")
    skew = inp.config.claims.clock_skew
    # Others' claims count until expires_at + skew; mine only until expires_at.
    others = PathIndex(
        [c for c in inp.claims if c.agent != inp.agent and not c.is_expired(inp.now, skew)]
    )
    mine = PathIndex(
        [
            c
            for c in inp.claims
            if c.agent == inp.agent and c.mode is Mode.WRITE and not c.is_expired(inp.now)
        ]
    )
    out: list[Finding] = []
    for p in paths:
        covering = (others.claims[i] for i in others.covering(p))
        held = sorted(covering, key=lambda c: (c.mode is not Mode.WRITE, c.agent))
        if held:
            out.append(_held(inp, p, held[0], mode))
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
                    fix=f"git claim {p}",
                )
            )
    return out
