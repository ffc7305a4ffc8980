"""The enforcement decision core: pure functions from a change and its context to findings.

Every enforcement layer (the pre-commit and pre-push hooks, `gitcoord ci` and the server
hooks) gathers its inputs in its own way and asks the policy core what to say. Nothing
here runs git, reads files or looks at the clock. This module is the core's API; each check
lives in a module named for what it decides (claims, rules, guards, roles, sync).

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
  trailers itself, see ci/commits.py) or "edit" (an agent's tool call before it writes:
  claims, rules, guards, roles; an approve-tier path needs a human, there being no staged
  change to approve yet).
- `evaluate(PolicyInput) -> list[Finding]`: the findings, each with its check, its mode
  (monitor | warn | enforce, from `[checks]`; a check set to `off` is skipped), the path, the
  holder or pattern, the reason and the command that resolves it.
- `sync_findings(pushes, config)`: pushes to `[sync] protected` branches that would drop
  commits the remote has, and pushes that move a `[sync] deploy` branch to a commit lacking
  the base tip (the caller counts both); `deploy_finding` is the second rule alone (CI).
- `read_findings(inp, paths)`: an agent's reads of paths whose guard says `read = "deny"`
  or "ask" (the edit-time guard); `read_rule(path, config)` is that rule for one path.
- `guard_for(path, config, extra)`: the guard tier that applies to one path;
  `approve_paths(changes, config, extra)`: the paths that need a human's approval.
- `resolve_role(config, agent, env_role)`: the agent's role; an unknown name is a UsageError.
- `blocking(findings)`: whether any finding refuses the operation.
"""

from __future__ import annotations

from gitcoord.core.approvals import Approval
from gitcoord.core.change import Change
from gitcoord.policy.claims import claim_findings
from gitcoord.policy.findings import (
    DEFAULT_WHY,
    Finding,
    PolicyInput,
    RulesState,
    blocking,
    mode_of,
    touched_paths,
)
from gitcoord.policy.guards import (
    SELF_GUARD_WHY,
    SELF_PATHS,
    approve_paths,
    guard_findings,
    guard_for,
    read_findings,
    read_rule,
    self_guard,
)
from gitcoord.policy.roles import resolve_role, role_findings
from gitcoord.policy.rules import rules_findings
from gitcoord.policy.sync import (
    PushCheck,
    deploy_finding,
    deploy_pattern,
    is_protected,
    sync_findings,
)

__all__ = [
    "DEFAULT_WHY",
    "SELF_GUARD_WHY",
    "SELF_PATHS",
    "Approval",
    "Change",
    "Finding",
    "PolicyInput",
    "PushCheck",
    "RulesState",
    "approve_paths",
    "blocking",
    "deploy_finding",
    "deploy_pattern",
    "evaluate",
    "guard_for",
    "is_protected",
    "read_findings",
    "read_rule",
    "resolve_role",
    "self_guard",
    "sync_findings",
    "touched_paths",
]


def evaluate(inp: PolicyInput) -> list[Finding]:
    paths = touched_paths(inp.changes)
    out: list[Finding] = []
    if mode_of(inp.config, "claims") != "off":
        out += claim_findings(inp, paths)
    if inp.stage in ("commit", "edit") and mode_of(inp.config, "rules") != "off":
        out += rules_findings(inp)
    if mode_of(inp.config, "guards") != "off":
        out += guard_findings(inp, paths)
    if mode_of(inp.config, "roles") != "off":
        out += role_findings(inp, paths)
    return out
