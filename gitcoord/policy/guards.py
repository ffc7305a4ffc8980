"""The guards check: `[[guard]]` tiers block, approve (a human's approval of the exact
change) and warn; gitcoord's own config, rules and hooks are approve-tier unless a guard
says otherwise (self-protection)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gitcoord.core.change import Change
from gitcoord.core.config import Config, Guard
from gitcoord.core.patterns import first_match
from gitcoord.policy.findings import (
    Finding,
    PolicyInput,
    leave_out,
    mode_of,
    touched_paths,
    why,
)

SELF_GUARD_WHY = "gitcoord's own config, rules and hooks change only with a human's approval"
SELF_PATHS = (
    "/gitcoord.toml",
    "/.pre-commit-config.yaml",
    "/.pre-commit-hooks.yaml",
    "/.github/workflows/gitcoord.yml",  # the CI jobs `gitcoord init --ci` writes
    "/.gitlab-ci.gitcoord.yml",
    # `gitcoord hooks install --harness`: the agent harnesses' hook configs (an agent that
    # could edit them could switch its own edit-time guard off) and what teaches the protocol
    "/.claude/settings.json",
    "/.gemini/settings.json",
    "/.cursor/hooks.json",
    "/.codex/hooks.json",
    "/.github/hooks/gitcoord.json",
    "/.windsurf/hooks.json",
    "/AGENTS.md",
    "/CLAUDE.md",
    "/.claude/skills/gitcoord/",
    # ... and the files beside them that switch hooks off or override them (local settings
    # with disableAllHooks, other hook files, the harnesses' own config and memory files)
    "/.claude/settings.local.json",
    "/CLAUDE.local.md",
    "/GEMINI.md",
    "/.github/hooks/",
    "/.github/copilot/",
    "/.codex/",
    "/.cursor/",
    "/.windsurf/",
    "/.gemini/",
)

TIER_RANK = {"warn": 0, "approve": 1, "block": 2}


def self_guard(config: Config, extra: Sequence[str] = ()) -> Guard:
    paths = (*SELF_PATHS, "/" + config.rules_file.lstrip("/"), *extra)
    return Guard(paths=paths, tier="approve", why=SELF_GUARD_WHY)


def guard_for(path: str, config: Config, extra: Sequence[str] = ()) -> tuple[Guard, str] | None:
    """The strictest configured guard matching `path` (and the pattern), else the self-guard
    while a policy is in force (adopting gitcoord, the first gitcoord.toml needs no approval)."""
    best: tuple[Guard, str] | None = None
    for g in config.guards:
        pattern = first_match(g.paths, path)
        if pattern is not None and (best is None or TIER_RANK[g.tier] > TIER_RANK[best[0].tier]):
            best = (g, pattern)
    if best is not None or config.source is None:  # no policy in force: none to protect
        return best
    own = self_guard(config, extra)
    pattern = first_match(own.paths, path)
    return (own, pattern) if pattern is not None else None


def approve_paths(
    changes: Iterable[Change], config: Config, extra: Sequence[str] = ()
) -> list[str]:
    out = []
    for p in touched_paths(changes):
        hit = guard_for(p, config, extra)
        if hit is not None and hit[0].tier == "approve":
            out.append(p)
    return out


def _unapproved(inp: PolicyInput, p: str, pattern: str, mode: str, reason: str) -> Finding:
    fix = "gitcoord approve   (run by a human, without GITCOORD_AGENT set)"
    if inp.stage == "edit":  # an agent's tool call: only a human may let the change happen
        state = "an agent changes it only with a human's consent"
        fix = f"ask a human: they make the change, or stage it and run `{fix.split('   ')[0]}`"
    elif any(a.patch_id == inp.approve_patch_id for a in inp.approvals):  # only my own
        state = "an approval by the committer itself does not count"
        fix = "another human runs `gitcoord approve` (without GITCOORD_AGENT set)"
    elif any(a.approver != inp.agent for a in inp.approvals if p in a.paths):
        state = "the staged change differs from the approved one"
    else:
        state = "no approval recorded"
    return Finding(
        "guards",
        mode,
        p,
        pattern,
        f"{p} needs a human's approval (guard {pattern!r}): {state}",
        reason,
        fix,
    )


def guard_findings(inp: PolicyInput, paths: Sequence[str]) -> list[Finding]:
    mode = mode_of(inp.config, "guards")
    approved = inp.approve_patch_id is not None and any(
        a.patch_id == inp.approve_patch_id and a.approver != inp.agent for a in inp.approvals
    )
    out: list[Finding] = []
    for p in paths:
        hit = guard_for(p, inp.config, inp.extra_guarded)
        if hit is None:
            continue
        guard, pattern = hit
        reason = why(inp, "guards", guard.why)
        if guard.tier == "block":
            fix = leave_out(inp, p)
            out.append(
                Finding(
                    "guards", mode, p, pattern, f"{p} is blocked (guard {pattern!r})", reason, fix
                )
            )
        elif guard.tier == "approve" and inp.stage != "push" and not approved:
            out.append(_unapproved(inp, p, pattern, mode, reason))
        elif guard.tier == "warn" and inp.stage != "push":
            soft = "monitor" if mode == "monitor" else "warn"
            message = f"{p} is guarded (guard {pattern!r})"
            fix = "none needed; the change is allowed and recorded"
            out.append(Finding("guards", soft, p, pattern, message, reason, fix))
    return out


READ_RANK = {"allow": 0, "ask": 1, "deny": 2}


def read_rule(path: str, config: Config) -> tuple[Guard, str] | None:
    """The guard whose `read` is strictest for `path` (and its pattern), when one is not
    "allow": reads are guarded only where a guard says so."""
    best: tuple[Guard, str] | None = None
    for g in config.guards:
        pattern = first_match(g.paths, path)
        if pattern is not None and READ_RANK[g.read] > READ_RANK[best[0].read if best else "allow"]:
            best = (g, pattern)
    return best


def read_findings(inp: PolicyInput, paths: Sequence[str]) -> list[Finding]:
    """An agent reading a path whose guard says `read = "deny"` (or "ask": the edit-time
    layer asks the user where the harness can)."""
    mode = mode_of(inp.config, "guards")
    if mode == "off":
        return []
    out = []
    for p in paths:
        hit = read_rule(p, inp.config)
        if hit is not None:
            guard, pattern = hit
            out.append(
                Finding(
                    "guards",
                    mode,
                    p,
                    pattern,
                    f"{p} may not be read by an agent (guard {pattern!r}, read = {guard.read!r})",
                    why(inp, "guards", guard.why),
                    "leave it unread; a human reads it, or changes the guard's read rule",
                )
            )
    return out
