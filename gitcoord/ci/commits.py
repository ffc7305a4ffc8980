"""`gitcoord ci`: the checks the hooks make, applied to a range of commits that may have
skipped them (`--no-verify`, tools without hooks).

The CLI (cli/ci_cmd.py) fetches the claims, the approvals and the base branch; this module
reads the commits of the range from git and asks the policy core about each one, with
that commit's agent and session (policy/agents.commit_author: its `Gitcoord-Agent` and
`Gitcoord-Session` trailers, else the `[agents]` e-mail map, else its author e-mail spelled
as a claim's agent; without a session trailer any session of the agent is its own) and
stage "ci". On top of the core it
checks what only history shows:

- rules: each commit carries `Gitcoord-Agent` and `Gitcoord-Rules` trailers (written by
  the commit-msg hook), unless `[rules] exempt` names its author (a bot); the rules hash
  equals the rules file's hash on the base tip (the policy in force, which the hooks
  read) or in the commit's parent tree (the rules when it was written); a commit that
  changes the rules file may also carry its own tree's hash.
- sync: the branch is at most `[sync] max_behind` commits behind the base; when the
  branch the run would move is a `[sync] deploy` branch, it holds the base tip.
- approvals: an approve-tier change needs a published approval whose patch-id is that of
  the commit's change to those paths (what `gitcoord approve` computed when it was staged)
  or of the whole range's change to them (a squash approved at once).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from gitcoord.ci.history import (
    AGENT_TRAILER,
    RULES_TRAILER,
    CommitInfo,
    read_commits,
    rules_hash_at,
)
from gitcoord.ci.report import CiFinding, Deploy, Report
from gitcoord.core.approvals import Approval
from gitcoord.core.change import Change
from gitcoord.core.claim import Claim
from gitcoord.core.config import Config
from gitcoord.git.changes import commit_changes, range_patch_id
from gitcoord.git.objects import EMPTY_TREE
from gitcoord.policy.agents import commit_author
from gitcoord.policy.decisions import (
    DEFAULT_WHY,
    Finding,
    PolicyInput,
    PushCheck,
    RulesState,
    approve_paths,
    deploy_finding,
    deploy_pattern,
    evaluate,
)

# -- pure decisions ----------------------------------------------------------------------


def behind_finding(
    behind: int, config: Config, remote: str, base: str, why: str = ""
) -> Finding | None:
    mode = config.checks.get("sync", "enforce")
    limit = config.sync_max_behind
    if mode == "off" or behind <= limit:
        return None
    return Finding(
        "sync",
        mode,
        base,
        f"max_behind = {limit}",
        f"the branch is {behind} commit(s) behind {remote}/{base} ([sync] max_behind = {limit})",
        why or "test and deploy what the base already has: sync before you deploy",
        f"git pull --rebase {remote} {base}   (or: git merge {remote}/{base})",
    )


def is_exempt(info: CommitInfo, exempt: Iterable[str]) -> bool:
    """Whether `[rules] exempt` names the commit's author: its name exactly, or its e-mail
    ignoring case. Literal strings, not patterns: `dependabot[bot]` has brackets."""
    email = info.author_email.lower()
    return any(e == info.author_name or e.lower() == email for e in exempt)


def rules_finding(
    info: CommitInfo,
    agent: str,
    config: Config,
    hashes: Sequence[str | None],
    fix_base: str,
    why: str = "",
) -> Finding | None:
    """The commit's rules acknowledgement. `hashes` are the rules hashes it may carry, the
    one named as in force first: on the base tip (the policy in force), in its parent tree,
    in its own tree when it changes the rules file. A commit by an exempt author (a bot)
    may lack the trailers."""
    mode = config.checks.get("rules", "enforce")
    accepted = [h for h in dict.fromkeys(hashes) if h]
    if mode == "off" or not accepted:
        return None  # no rules file: nothing to acknowledge
    short = info.oid[:10]
    missing = [
        name
        for name, value in (
            (AGENT_TRAILER, info.agent_trailer),
            (RULES_TRAILER, info.rules_trailer),
        )
        if not value
    ]
    if missing:
        if is_exempt(info, config.rules_exempt):
            return None
        message = (
            f"commit {short} by {agent} lacks the {' and '.join(missing)} trailer(s): "
            "it was written without gitcoord's commit-msg hook"
        )
    elif info.rules_trailer in accepted:
        return None
    else:
        message = (
            f"commit {short} by {agent} acknowledged {config.rules_file} at "
            f"{info.rules_trailer}, but {accepted[0]} was in force"
        )
    return Finding(
        "rules",
        mode,
        config.rules_file,
        accepted[0],
        message,
        why or DEFAULT_WHY["rules"],
        "gitcoord hooks install && gitcoord rules --ack, then rewrite the commits through the "
        f"hooks: git rebase --exec 'git commit --amend --no-edit' {fix_base}",
    )


def for_ci(finding: Finding, commit: str, agent: str) -> Finding:
    """The core's finding (stage "ci": its fixes rewrite the branch), worded for a commit
    already made: name the commit; an approval is a human's, published."""
    fix = finding.fix
    if finding.check == "guards" and fix.startswith("gitcoord approve"):
        fix = (
            "a human other than its author stages the same change and runs `gitcoord approve` "
            "(it publishes refs/claims-approvals/<patch-id>.<approver>), then re-run CI"
        )
    message = finding.message.replace("the staged change differs", "the change differs")
    return finding._replace(message=f"commit {commit[:10]} by {agent}: {message}", fix=fix)


def dedupe(findings: Iterable[CiFinding]) -> list[CiFinding]:
    """One finding per check, path, holder and agent: ten commits to one claimed file are
    one problem."""
    seen: set[tuple[str, str, str, str | None]] = set()
    out = []
    for cf in findings:
        key = (cf.finding.check, cf.finding.path, cf.finding.subject, cf.agent)
        if cf.finding.check == "rules" or key not in seen:
            seen.add(key)
            out.append(cf)
    return out


class RangeInput(NamedTuple):
    cwd: str
    config: Config
    remote: str
    base: str
    old: str | None  # None: from the root
    new: str
    behind: int
    claims: Sequence[Claim]
    approvals: Sequence[Approval]
    now: float
    citations: Mapping[str, str]
    base_rules: str | None = None  # the rules file's hash on the base tip (the policy in force)
    target: str | None = None  # the branch this run would move
    # When the target is a deploy branch (not the base): how far the commit is behind the
    # base tip; the branch must hold it whatever max_behind says.
    deploy: PushCheck | None = None


def _approve_patch_id(
    inp: RangeInput, info: CommitInfo, needs: Sequence[str], agent: str, whole: dict[str, str]
) -> str:
    """The patch-id an approval of the commit's approve-tier change must carry: the
    commit's own, or the whole range's (a squash approved at once; `whole` caches it per
    path set), whichever another agent approved."""
    own = range_patch_id(inp.cwd, info.parent or EMPTY_TREE, info.oid, needs)
    key = "\0".join(needs)
    if key not in whole:
        whole[key] = range_patch_id(inp.cwd, inp.old or EMPTY_TREE, inp.new, needs)
    approved = {a.patch_id for a in inp.approvals if a.approver != agent}
    return next((p for p in (own, whole[key]) if p in approved), own)


def _sync_findings(inp: RangeInput) -> list[CiFinding]:
    """A deploy branch must hold the base tip; any branch may lag `[sync] max_behind`."""
    why = inp.citations.get("sync", "")
    out = []
    deploy = deploy_finding(inp.deploy, inp.config, why, "this change") if inp.deploy else None
    if deploy is not None:
        out.append(CiFinding(deploy))
    late = behind_finding(inp.behind, inp.config, inp.remote, inp.base, why)
    same = deploy is not None and inp.deploy is not None and inp.deploy.base == inp.base
    if late is not None and not same:  # the same missing commits are said once
        out.append(CiFinding(late))
    return out


def _rules_ack(
    inp: RangeInput, info: CommitInfo, agent: str, changes: Sequence[Change], fix_base: str
) -> Finding | None:
    rules_file = inp.config.rules_file
    touches_rules = any(rules_file in c.touched for c in changes)
    in_force = rules_hash_at(inp.cwd, info.parent, rules_file)
    own_hash = rules_hash_at(inp.cwd, info.oid, rules_file) if touches_rules else None
    hashes = (inp.base_rules, in_force, own_hash)
    return rules_finding(info, agent, inp.config, hashes, fix_base, inp.citations.get("rules", ""))


def check_range(inp: RangeInput) -> Report:
    config, cwd = inp.config, inp.cwd
    fix_base = inp.old[:10] if inp.old else "--root"
    commits = read_commits(cwd, inp.old, inp.new)
    found = _sync_findings(inp)
    claim_agents = sorted({c.agent for c in inp.claims})
    guards_on = config.checks.get("guards", "enforce") != "off"
    whole_id: dict[str, str] = {}  # the range's patch-id per approve-path set, computed once
    for info in commits:
        author = commit_author(
            info.agent_trailer,
            info.session_trailer,
            info.author_email,
            config.agent_emails,
            claim_agents,
        )
        agent = author.agent
        changes = commit_changes(cwd, info.parent or EMPTY_TREE, info.oid)
        needs = approve_paths(changes, config) if guards_on else []
        patch_id = _approve_patch_id(inp, info, needs, agent, whole_id) if needs else None
        policy_in = PolicyInput(
            stage="ci",
            changes=changes,
            config=config,
            agent=agent,
            role=config.agents.get(agent),
            claims=inp.claims,
            now=inp.now,
            rules=RulesState(config.rules_file, None, None),
            approve_patch_id=patch_id,
            approvals=inp.approvals,
            citations=inp.citations,
            session=author.session,
            fix_base=fix_base,
        )
        for f in evaluate(policy_in):
            found.append(CiFinding(for_ci(f, info.oid, agent), info.oid, agent))
        if config.checks.get("rules", "enforce") != "off":
            ack = _rules_ack(inp, info, agent, changes, fix_base)
            if ack is not None:
                found.append(CiFinding(ack, info.oid, agent))
    shown = f"{inp.old[:10]}..{inp.new[:10]}" if inp.old else f"{inp.new[:10]} (from the root)"
    deploy = _deploy_shown(inp)
    report = Report(inp.remote, inp.base, shown, inp.behind, len(commits), dedupe(found))
    return report._replace(target=inp.target, deploy=deploy)


def _deploy_shown(inp: RangeInput) -> Deploy | None:
    d = inp.deploy
    pattern = deploy_pattern(d.branch, inp.config) if d else None
    return Deploy(pattern, d.base, d.behind) if d and pattern else None
