"""The policy core's records: what a check is asked (PolicyInput) and what it says (Finding).

The records are NamedTuples rather than dataclasses: every commit defines them again, and a
frozen dataclass costs about ten times as much to define (it compiles six methods).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple

from gitcoord.core.approvals import Approval
from gitcoord.core.change import Change
from gitcoord.core.claim import Claim
from gitcoord.core.config import CHECK_DEFAULTS, Config
from gitcoord.core.textsafe import shell_word

DEFAULT_WHY = {
    "claims": "another agent holds this path; two writers on one path silently lose work",
    "session": "a holder is an agent in one session: two sessions writing one path silently "
    "lose work, even under one name",
    "require": "changes here need a claim of mine, so nobody else can be writing them",
    "rules": "the team's rules changed since you last read them",
    "roles": "a role limits where an agent may write",
    "sync": "a push that drops the remote's commits silently rolls back others' work",
    "fresh": "work on an old copy of a path conflicts with the base's newer commits, or "
    "undoes them",
}


class RulesState(NamedTuple):
    file: str
    hash: str | None  # None: there is no rules file, so nothing to acknowledge
    acked_hash: str | None


class PolicyInput(NamedTuple):
    stage: str  # "commit" | "push" | "ci" | "edit" (an agent's tool call, before it runs)
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
    # My session: claims of my other sessions are another holder's. None (a commit without
    # a Gitcoord-Session trailer): any session of `agent` counts as mine (policy/agents.py).
    session: str | None = None
    # Where a committed change's history starts ("push", "ci"): fixes rewrite from there.
    fix_base: str = ""


class Finding(NamedTuple):
    check: str  # claims | rules | guards | roles | sync | fresh
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


def blocking(findings: Iterable[Finding]) -> bool:
    return any(f.blocking for f in findings)


def touched_paths(changes: Iterable[Change]) -> list[str]:
    seen: dict[str, None] = {}
    for change in changes:
        for p in change.touched:
            seen.setdefault(p, None)
    return list(seen)


def mode_of(config: Config, check: str) -> str:
    """The check's mode from `[checks]`: off | monitor | warn | enforce (config.CHECK_DEFAULTS)."""
    return config.checks.get(check, CHECK_DEFAULTS.get(check, "enforce"))


def why(inp: PolicyInput, key: str, override: str = "") -> str:
    """The reason a finding gives: the guard's own, else the rules file's text, else ours."""
    if override:
        return override
    cited = inp.citations.get("claims" if key in ("require", "session") else key)
    return cited or DEFAULT_WHY.get(key, key)


def leave_out(inp: PolicyInput, path: str, lead: str = "") -> str:
    """The command that leaves `path` out of the change: at edit time, before the tool runs,
    do not make it; at commit time it is staged, so unstage it (`lead` words that); at push
    time and in CI it is committed, so rewrite the commits from `fix_base`."""
    if inp.stage == "edit":  # nothing is changed yet
        return f"{lead}do not change {path}"
    if inp.stage == "commit":
        literal = f":(literal){path}" if any(ch in path for ch in "*?[") else path
        return f"{lead}git restore --staged -- {shell_word(literal)}"
    return f"drop the change to {path}: git rebase -i {inp.fix_base or '@{upstream}'}"
