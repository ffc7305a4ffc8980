"""The rules check: the committing agent acknowledged the rules file at its current hash."""

from __future__ import annotations

from gitcoord.policy.findings import Finding, PolicyInput, mode_of, why


def rules_findings(inp: PolicyInput) -> list[Finding]:
    r = inp.rules
    if r.hash is None or r.acked_hash == r.hash:
        return []
    seen = f"you acknowledged {r.acked_hash}" if r.acked_hash else "you have not acknowledged it"
    return [
        Finding(
            check="rules",
            mode=mode_of(inp.config, "rules"),
            path=r.file,
            subject=r.hash,
            message=f"{inp.agent} has not acknowledged {r.file} at {r.hash} ({seen})",
            reason=why(inp, "rules"),
            fix="gitcoord rules   (read it), then: gitcoord rules --ack",
        )
    ]
