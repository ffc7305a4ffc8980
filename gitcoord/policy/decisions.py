"""The enforcement decision core: pure functions from a change and its context to findings.

Every enforcement layer (the pre-commit and pre-push hooks, and later `gitcoord ci` and the
server hooks) gathers its inputs in its own way and asks this module what to say. Nothing
here runs git, reads files or looks at the clock.

API
---
- `Change(status, path, old_path)`: one changed path; `status` is git's letter (A, M, D, R,
  C, T). A rename (R) touches both names; a copy (C) only the new one.
- `PolicyInput`: the change set plus everything the checks need: the config, my agent name
  and role, the claims as listed (expiry is judged here at `now`), the rules file state, the
  patch-id of the approve-tier part of the change and the recorded approvals.
  `stage` is "commit" (claims, rules, guards, roles), "push" (claims, block guards, roles;
  rules and approvals are commit-time checks whose trailers CI verifies) or "ci" (one
  commit of a CI range: claims, all guard tiers, roles; `gitcoord ci` checks the rules
  trailers itself, see ci.py).
- `evaluate(PolicyInput) -> list[Finding]`: the findings, each with its check, its mode
  (monitor | warn | enforce, from `[checks]`; a check set to `off` is skipped), the path, the
  holder or pattern, the reason and the command that resolves it.
- `sync_findings(pushes, config)`: pushes to `[sync] protected` branches that would drop
  commits the remote has (the caller counts them).
- `guard_for(path, config, extra)`: the guard tier that applies to one path;
  `approve_paths(changes, config, extra)`: the paths that need a human's approval.
- `resolve_role(config, agent, env_role)`: the agent's role; an unknown name is a UsageError.
- `blocking(findings)`: whether any finding refuses the operation.

The records are NamedTuples rather than dataclasses: every commit defines them again, and a
frozen dataclass costs about ten times as much to define (it compiles six methods).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple

from gitcoord.core.approvals import Approval as Approval  # (the API names it; cli imports it)
from gitcoord.core.change import Change
from gitcoord.core.claim import Claim
from gitcoord.core.config import Config, Guard
from gitcoord.core.durations import format_duration
from gitcoord.core.errors import UsageError
from gitcoord.core.modes import Mode
from gitcoord.core.patterns import compile_pattern, first_match
from gitcoord.core.textsafe import printable

# Self-protection: gitcoord's own config, rules and hook configuration need a human's approval
# unless a [[guard]] in the config says otherwise for that path.
SELF_GUARD_WHY = "gitcoord's own config, rules and hooks change only with a human's approval"
SELF_PATHS = (
    "/gitcoord.toml",
    "/.pre-commit-config.yaml",
    "/.pre-commit-hooks.yaml",
    "/.github/workflows/gitcoord.yml",  # the CI jobs `gitcoord init --ci` writes
    "/.gitlab-ci.gitcoord.yml",
)

TIER_RANK = {"warn": 0, "approve": 1, "block": 2}

DEFAULT_WHY = {
    "claims": "another agent holds this path; two writers on one path silently lose work",
    "require": "changes here need a claim of mine, so nobody else can be writing them",
    "rules": "the team's rules changed since you last read them",
    "roles": "a role limits where an agent may write",
    "sync": "a push that drops the remote's commits silently rolls back others' work",
}


class RulesState(NamedTuple):
    file: str
    hash: str | None  # None: there is no rules file, so nothing to acknowledge
    acked_hash: str | None


class PolicyInput(NamedTuple):
    stage: str  # "commit" | "push" | "ci"
    changes: Sequence[Change]
    config: Config
    agent: str
    role: str | None
    claims: Sequence[Claim]
    now: float
    rules: RulesState
    approve_patch_id: str | None = None
    approvals: Sequence[Approval] = ()
    extra_guarded: Sequence[str] = ()  # e.g. a hooks directory tracked in the repository
    citations: Mapping[str, str] = MappingProxyType({})  # check -> rules file line


class Finding(NamedTuple):
    check: str  # claims | rules | guards | roles | sync
    mode: str  # monitor | warn | enforce
    path: str
    subject: str  # the holder or the pattern
    message: str
    reason: str
    fix: str

    @property
    def blocking(self) -> bool:
        return self.mode == "enforce"

    def render(self) -> str:
        head = "refused" if self.blocking else "warning"
        return (
            f"gitcoord: {head} by {self.check}: {self.message}\n"
            f"  why: {self.reason}\n  fix: {self.fix}"
        )

    def to_json(self) -> dict[str, str]:
        return dict(self._asdict())


class PushCheck(NamedTuple):
    """One ref update of a push, as far as sync is concerned."""

    branch: str  # the remote branch name, e.g. "main"
    remote: str
    missing: int  # commits the remote branch has that the pushed commit lacks
    deleting: bool = False


def blocking(findings: Iterable[Finding]) -> bool:
    return any(f.blocking for f in findings)


def touched_paths(changes: Iterable[Change]) -> list[str]:
    seen: dict[str, None] = {}
    for change in changes:
        for p in change.touched:
            seen.setdefault(p, None)
    return list(seen)


def resolve_role(config: Config, agent: str, env_role: str | None) -> str | None:
    """GITCOORD_ROLE wins over [agents]; None means the agent has no role (writes anywhere)."""
    if env_role:
        if env_role not in config.roles:
            known = ", ".join(sorted(config.roles)) or "none defined"
            raise UsageError(
                f"GITCOORD_ROLE={env_role!r} is not a role in gitcoord.toml (known: {known})",
                fix="unset GITCOORD_ROLE, or add [roles." + env_role + "] to gitcoord.toml",
            )
        return env_role
    return config.agents.get(agent)


def _mode(config: Config, check: str) -> str:
    return config.checks.get(check, "enforce")


def _why(inp: PolicyInput, key: str, override: str = "") -> str:
    if override:
        return override
    cited = inp.citations.get("claims" if key == "require" else key)
    return cited or DEFAULT_WHY.get(key, key)


# -- claims -----------------------------------------------------------------------------


def _index(claims: Iterable[Claim]) -> dict[str, list[Claim]]:
    by_key: dict[str, list[Claim]] = {}
    for c in claims:
        by_key.setdefault(c.path.key, []).append(c)
    return by_key


def _covering(index: Mapping[str, list[Claim]], path: str) -> list[Claim]:
    """Claims whose path covers `path`: the path itself, or any directory above it."""
    parts = path.split("/")
    keys = ["", *("/".join(parts[:n]) for n in range(1, len(parts) + 1))]
    return [c for k in keys for c in index.get(k, ()) if c.path.covers(path)]


def _claims(inp: PolicyInput, paths: Sequence[str]) -> list[Finding]:
    mode = _mode(inp.config, "claims")
    skew = inp.config.claims.clock_skew
    # Others' claims count until expires_at + skew; mine only until expires_at.
    others = _index(
        c for c in inp.claims if c.agent != inp.agent and not c.is_expired(inp.now, skew)
    )
    mine = _index(
        c
        for c in inp.claims
        if c.agent == inp.agent and c.mode is Mode.WRITE and not c.is_expired(inp.now)
    )
    out: list[Finding] = []
    for p in paths:
        held = sorted(_covering(others, p), key=lambda c: (c.mode is not Mode.WRITE, c.agent))
        if held:
            c = held[0]
            left = format_duration(max(0.0, c.lease_end - inp.now))
            agent, where = printable(c.agent), printable(str(c.path))  # remote data
            reason = f'{agent}\'s reason: "{printable(c.reason)}"; ' if c.reason else ""
            out.append(
                Finding(
                    check="claims",
                    mode=mode,
                    path=p,
                    subject=agent,
                    message=f"{p} is claimed by {agent} ({c.mode.value} claim on {where}, "
                    f"expires in {left})",
                    reason=reason + _why(inp, "claims"),
                    fix=f"git claim --wait {where}   (or leave it out: git restore --staged {p})",
                )
            )
            continue
        pattern = first_match(inp.config.claims.require, p)
        if pattern is not None and not _covering(mine, p):
            out.append(
                Finding(
                    check="claims",
                    mode=mode,
                    path=p,
                    subject=pattern,
                    message=f"{p} needs a write claim of mine ([claims] require {pattern!r})",
                    reason=_why(inp, "require"),
                    fix=f"git claim {p}",
                )
            )
    return out


# -- rules ------------------------------------------------------------------------------


def _rules(inp: PolicyInput) -> list[Finding]:
    r = inp.rules
    if r.hash is None or r.acked_hash == r.hash:
        return []
    seen = f"you acknowledged {r.acked_hash}" if r.acked_hash else "you have not acknowledged it"
    return [
        Finding(
            check="rules",
            mode=_mode(inp.config, "rules"),
            path=r.file,
            subject=r.hash,
            message=f"{inp.agent} has not acknowledged {r.file} at {r.hash} ({seen})",
            reason=_why(inp, "rules"),
            fix="gitcoord rules   (read it), then: gitcoord rules --ack",
        )
    ]


# -- guards -----------------------------------------------------------------------------


def self_guard(config: Config, extra: Sequence[str] = ()) -> Guard:
    paths = (*SELF_PATHS, "/" + config.rules_file.lstrip("/"), *extra)
    return Guard(paths=paths, tier="approve", why=SELF_GUARD_WHY)


def guard_for(path: str, config: Config, extra: Sequence[str] = ()) -> tuple[Guard, str] | None:
    """The strictest configured guard matching `path` (and the pattern), else the self-guard."""
    best: tuple[Guard, str] | None = None
    for g in config.guards:
        pattern = first_match(g.paths, path)
        if pattern is not None and (best is None or TIER_RANK[g.tier] > TIER_RANK[best[0].tier]):
            best = (g, pattern)
    if best is not None:
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


def _guards(inp: PolicyInput, paths: Sequence[str]) -> list[Finding]:
    mode = _mode(inp.config, "guards")
    approved = inp.approve_patch_id is not None and any(
        a.patch_id == inp.approve_patch_id and a.approver != inp.agent for a in inp.approvals
    )
    out: list[Finding] = []
    for p in paths:
        hit = guard_for(p, inp.config, inp.extra_guarded)
        if hit is None:
            continue
        guard, pattern = hit
        why = _why(inp, "guards", guard.why)
        if guard.tier == "block":
            out.append(
                Finding(
                    "guards",
                    mode,
                    p,
                    pattern,
                    f"{p} is blocked (guard {pattern!r})",
                    why,
                    f"git restore --staged -- {p}",
                )
            )
        elif guard.tier == "approve" and inp.stage != "push" and not approved:
            stale = any(a.approver != inp.agent for a in inp.approvals if p in a.paths)
            state = (
                "the staged change differs from the approved one"
                if stale
                else "no approval recorded"
            )
            out.append(
                Finding(
                    "guards",
                    mode,
                    p,
                    pattern,
                    f"{p} needs a human's approval (guard {pattern!r}): {state}",
                    why,
                    "gitcoord approve   (run by a human, without GITCOORD_AGENT set)",
                )
            )
        elif guard.tier == "warn" and inp.stage != "push":
            soft = "monitor" if mode == "monitor" else "warn"
            out.append(
                Finding(
                    "guards",
                    soft,
                    p,
                    pattern,
                    f"{p} is guarded (guard {pattern!r})",
                    why,
                    "none needed; the change is allowed and recorded",
                )
            )
    return out


# -- roles ------------------------------------------------------------------------------


def _roles(inp: PolicyInput, paths: Sequence[str]) -> list[Finding]:
    if inp.role is None:
        return []
    allowed = inp.config.roles.get(inp.role, ())
    shown = ", ".join(allowed) or "nothing"
    mode = _mode(inp.config, "roles")
    return [
        Finding(
            "roles",
            mode,
            p,
            inp.role,
            f"{p} is outside role {inp.role!r}, which may write only: {shown}",
            _why(inp, "roles"),
            f"git restore --staged -- {p}   (or add a pattern to [roles.{inp.role}] write)",
        )
        for p in paths
        if first_match(allowed, p) is None
    ]


# -- all checks -------------------------------------------------------------------------


def evaluate(inp: PolicyInput) -> list[Finding]:
    paths = touched_paths(inp.changes)
    out: list[Finding] = []
    if _mode(inp.config, "claims") != "off":
        out += _claims(inp, paths)
    if inp.stage == "commit" and _mode(inp.config, "rules") != "off":
        out += _rules(inp)
    if _mode(inp.config, "guards") != "off":
        out += _guards(inp, paths)
    if _mode(inp.config, "roles") != "off":
        out += _roles(inp, paths)
    return out


def is_protected(branch: str, config: Config) -> str | None:
    """The `[sync] protected` pattern naming `branch` (whole-name glob match), or None."""
    for pattern in config.sync_protected:
        if compile_pattern("/" + pattern.lstrip("/")).whole(branch):
            return pattern
    return None


def sync_findings(
    pushes: Iterable[PushCheck], config: Config, citations: Mapping[str, str] | None = None
) -> list[Finding]:
    mode = _mode(config, "sync")
    if mode == "off":
        return []
    why = (citations or {}).get("sync") or DEFAULT_WHY["sync"]
    out = []
    for p in pushes:
        pattern = is_protected(p.branch, config)
        if pattern is None or p.missing <= 0:
            continue
        verb = "deleting" if p.deleting else "this push to"
        out.append(
            Finding(
                "sync",
                mode,
                p.branch,
                pattern,
                f"{verb} {p.branch} would drop {p.missing} commit(s) that {p.remote} has "
                f"(protected branch {pattern!r}; --force does not override this)",
                why,
                f"git pull --rebase {p.remote} {p.branch}   (then push again)",
            )
        )
    return out
