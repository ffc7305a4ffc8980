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
  the commit-msg hook), and the rules hash equals the rules file's hash in the commit's
  parent tree (the rules in force when it was written); a commit that changes the rules
  file may carry either hash.
- sync: the branch is at most `[sync] max_behind` commits behind the base.
- approvals: an approve-tier change needs a published approval whose patch-id is that of
  the commit's change to those paths (what `gitcoord approve` computed when it was staged)
  or of the whole range's change to them (a squash approved at once).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from gitcoord.ci.report import CiFinding, Report
from gitcoord.core.approvals import Approval
from gitcoord.core.claim import Claim
from gitcoord.core.config import Config
from gitcoord.git.changes import commit_changes, range_patch_id
from gitcoord.git.history import blob_at, non_merge_log
from gitcoord.git.objects import EMPTY_TREE
from gitcoord.policy.agents import commit_author
from gitcoord.policy.decisions import (
    DEFAULT_WHY,
    Finding,
    PolicyInput,
    RulesState,
    approve_paths,
    evaluate,
)
from gitcoord.store import localstate

AGENT_TRAILER = "Gitcoord-Agent"
RULES_TRAILER = "Gitcoord-Rules"
SESSION_TRAILER = "Gitcoord-Session"


class CommitInfo(NamedTuple):
    oid: str
    parent: str | None  # the first parent; None for a root commit
    author_email: str
    agent_trailer: str | None
    rules_trailer: str | None
    session_trailer: str | None = None


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


def rules_finding(
    info: CommitInfo,
    agent: str,
    config: Config,
    in_force: str | None,
    own: str | None,
    fix_base: str,
    why: str = "",
) -> Finding | None:
    """The commit's rules acknowledgement; `in_force` is the rules hash in its parent tree,
    `own` the hash in its own tree when the commit changes the rules file."""
    mode = config.checks.get("rules", "enforce")
    accepted = {h for h in (in_force, own) if h}
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
        message = (
            f"commit {short} by {agent} lacks the {' and '.join(missing)} trailer(s): "
            "it was written without gitcoord's commit-msg hook"
        )
    elif info.rules_trailer in accepted:
        return None
    else:
        message = (
            f"commit {short} by {agent} acknowledged {config.rules_file} at "
            f"{info.rules_trailer}, but {in_force or own} was in force"
        )
    return Finding(
        "rules",
        mode,
        config.rules_file,
        in_force or own or "",
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


# -- reading the range from git ----------------------------------------------------------

_FORMAT = (
    "%H%x1f%P%x1f%ae%x1f"
    f"%(trailers:key={AGENT_TRAILER},valueonly,unfold,separator=%x1d)%x1f"
    f"%(trailers:key={RULES_TRAILER},valueonly,unfold,separator=%x1d)%x1f"
    f"%(trailers:key={SESSION_TRAILER},valueonly,unfold,separator=%x1d)%x1e"
)


def _last(values: str) -> str | None:
    parts = [v.strip() for v in values.split("\x1d") if v.strip()]
    return parts[-1] if parts else None


def read_commits(cwd: str, old: str | None, new: str) -> list[CommitInfo]:
    """The non-merge commits of old..new, oldest first (a merge brings in others' work)."""
    revs = [new, "--not", old] if old else [new]
    out = []
    for record in non_merge_log(cwd, revs, _FORMAT).split("\x1e"):
        fields = record.strip("\n").split("\x1f")
        if len(fields) != 6:
            continue
        oid, parents, email, agent, rules, session = fields
        parent = parents.split()[0] if parents else None
        out.append(CommitInfo(oid, parent, email, _last(agent), _last(rules), _last(session)))
    return out


def rules_hash_at(cwd: str, commit: str | None, rules_file: str) -> str | None:
    if commit is None:
        return None
    text = blob_at(cwd, commit, rules_file)
    return localstate.rules_hash(text) if text is not None else None


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


def check_range(inp: RangeInput) -> Report:
    config, cwd = inp.config, inp.cwd
    fix_base = inp.old[:10] if inp.old else "--root"
    commits = read_commits(cwd, inp.old, inp.new)
    found: list[CiFinding] = []
    late = behind_finding(inp.behind, config, inp.remote, inp.base, inp.citations.get("sync", ""))
    if late is not None:
        found.append(CiFinding(late))
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
            touches_rules = any(config.rules_file in c.touched for c in changes)
            in_force = rules_hash_at(cwd, info.parent, config.rules_file)
            own_hash = rules_hash_at(cwd, info.oid, config.rules_file) if touches_rules else None
            ack = rules_finding(
                info, agent, config, in_force, own_hash, fix_base, inp.citations.get("rules", "")
            )
            if ack is not None:
                found.append(CiFinding(ack, info.oid, agent))
    shown = f"{inp.old[:10]}..{inp.new[:10]}" if inp.old else f"{inp.new[:10]} (from the root)"
    return Report(inp.remote, inp.base, shown, inp.behind, len(commits), dedupe(found))
