"""What the server enforces of the team's policy on pushed branches: block-tier guards and
role limits on every new commit, and deploy branches that must contain the base tip.

The decisions are the policy core's (policy/guards.py, policy/roles.py, policy/sync.py); this
module only says which policy asks and what the pusher hears. The policy is gitcoord.toml at
the pushed-to branch's current tip (for a new branch, the default branch's) and ALSO at the
default branch, each asked on its own, the strictest answer winning: a commit accepted on a
side branch is no longer new when it is later pushed to the default branch, so a side branch
that switched a check off must not let it through. A change to gitcoord.toml takes effect
for the pushes after it lands, never for the push that carries it.

Each answer's mode is its policy's `[checks]`: enforce refuses, warn is told to the pusher
and allowed, monitor and off say nothing (the server keeps no findings log).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from gitcoord.core.config import Config
from gitcoord.core.textsafe import printable
from gitcoord.git.bare import CommitChanges
from gitcoord.policy.agents import commit_author
from gitcoord.policy.decisions import (
    Finding,
    PolicyInput,
    PushCheck,
    RulesState,
    deploy_finding,
    deploy_pattern,
)
from gitcoord.policy.findings import mode_of
from gitcoord.policy.guards import guard_findings
from gitcoord.policy.roles import role_findings
from gitcoord.server.policy import BRANCHES, MAX_SHOWN, Pusher, Refusal

RANK = {"warn": 1, "enforce": 2}  # the modes the server speaks in; monitor and off are silent
REMOTE = "origin"  # the server cannot know the client's name for it; the usual one


class Verdict(NamedTuple):
    mode: str  # warn | enforce
    refusal: Refusal  # what the pusher is told (a warning when mode is warn)


def commit_agent(commit: CommitChanges, config: Config, pusher: Pusher) -> str:
    """The commit's agent by policy/agents.commit_author; under gitolite the authenticated
    user when the commit names an agent the user may not act as (a trailer cannot escape a
    role)."""
    author = commit_author(
        commit.agent_trailer or None,
        commit.session_trailer or None,
        commit.author_email,
        config.agent_emails,
        config.agents,
    )
    if pusher.gl_user and not pusher.owns(author.agent):
        return pusher.gl_user
    return author.agent


def asks_commits(config: Config) -> bool:
    """Whether a policy has anything to say about a pushed commit's paths (when not, the
    hook need not read the commits)."""
    guards = mode_of(config, "guards") in RANK and any(g.tier == "block" for g in config.guards)
    return guards or (mode_of(config, "roles") in RANK and bool(config.agents))


def _findings(commit: CommitChanges, config: Config, agent: str, fix_base: str) -> list[Finding]:
    """The core's push-stage findings for one commit under one policy: block-tier guards
    (approve and warn tiers are not the server's) and the agent's role."""
    inp = PolicyInput(
        stage="push",
        changes=(),
        config=config,
        agent=agent,
        role=config.agents.get(agent),
        claims=(),
        now=0.0,
        rules=RulesState(config.rules_file, None, None),
        fix_base=fix_base,
    )
    out: list[Finding] = []
    if mode_of(config, "guards") in RANK:
        out += guard_findings(inp, commit.paths)
    if mode_of(config, "roles") in RANK:
        out += role_findings(inp, commit.paths)
    return out


def _told(ref: str, commit: str, agent: str, f: Finding) -> Verdict:
    """The pusher's words for a finding; paths, agents and the policy's text come from the
    pushed commits and gitcoord.toml, so each is made printable."""
    fix = printable(f.fix)  # the core's push-stage fix: rewrite the pushed commits
    if f.check == "guards":
        fix += ", then push again; a block-tier guard takes no approval (ask a human)"
    what = f"commit {commit[:12]} by {printable(agent)}: {printable(f.message)}"
    return Verdict(f.mode, Refusal(ref, f"{what}\n  why: {printable(f.reason)}", fix))


def check_commit_policy(
    ref: str,
    commits: Sequence[CommitChanges],
    policies: Sequence[Config],
    pusher: Pusher,
    fix_base: str,
) -> list[Verdict]:
    """Guards and roles over the pushed commits (newest first, as bare.new_commits lists
    them): one verdict per check and path, the strictest of the policies', naming the
    oldest commit that makes the change."""
    strictest: dict[tuple[str, str], tuple[str, str, Finding]] = {}
    for commit in reversed(commits):
        for config in policies:
            agent = commit_agent(commit, config, pusher)
            for f in _findings(commit, config, agent, fix_base):
                held = strictest.get((f.check, f.path))
                if held is None or RANK[f.mode] > RANK[held[2].mode]:
                    strictest[(f.check, f.path)] = (commit.oid, agent, f)
    ordered = sorted(strictest.values(), key=lambda v: -RANK[v[2].mode])
    verdicts = [_told(ref, oid, agent, f) for oid, agent, f in ordered[:MAX_SHOWN]]
    if len(ordered) > MAX_SHOWN:
        rest = ordered[MAX_SHOWN:]
        mode = max((f.mode for _, _, f in rest), key=RANK.__getitem__)
        more = Refusal(
            ref,
            f"and {len(rest)} more path(s) the server's guards or roles refuse",
            f"drop those changes too: git rebase -i {fix_base}, then push again",
        )
        verdicts.append(Verdict(mode, more))
    return verdicts


def check_deploy(
    ref: str,
    new: str,
    policies: Sequence[Config],
    default: str,
    base_tip: Callable[[str], str | None],
    behind: Callable[[str, str], int],
) -> list[Verdict]:
    """A push that creates or moves a `[sync] deploy` branch to `new`, which lacks the tip
    of the base (`[remote] base` of the policy, else the default branch `default`):
    policy/sync.deploy_finding under each policy, the strictest winning. `base_tip(name)`
    is the base's tip after this push (None: no such branch, nothing to contain);
    `behind(tip, new)` how many commits of `tip` `new` lacks."""
    branch = ref[len(BRANCHES) :]
    found: Verdict | None = None
    for config in policies:
        base = (config.remote.base or default).removeprefix(BRANCHES)
        quiet = mode_of(config, "sync") not in RANK
        if quiet or base == branch or deploy_pattern(branch, config) is None:
            continue
        tip = base_tip(base)
        if tip is None:
            continue
        check = PushCheck(branch, REMOTE, 0, base=base, behind=behind(tip, new))
        f = deploy_finding(check, config)
        if f is None or (found is not None and RANK[f.mode] <= RANK[found.mode]):
            continue
        lacks = f"{printable(f.message)} (it lacks {printable(base)}'s tip {tip[:12]})"
        fix = f"git fetch {REMOTE} && {printable(f.fix)}"
        found = Verdict(f.mode, Refusal(ref, f"{lacks}\n  why: {printable(f.reason)}", fix))
    return [found] if found is not None else []
