"""The hooks' heavy half: read the repository (gitdata.py) and apply the rules (policy.py).

hook.py imports this module only when a push has something to check.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from gitcoord.core import timeutil
from gitcoord.core.auditlog import MAX_LOG_OBJECT_BYTES
from gitcoord.core.claim import MAX_OBJECT_BYTES, Claim
from gitcoord.core.oids import is_zero
from gitcoord.core.refnames import CLAIMS, LOG, SLOTS, TASKS
from gitcoord.git import bare
from gitcoord.git.bare import MAX_NEW_LOG_COMMITS
from gitcoord.git.objects import read_objects
from gitcoord.server import gitdata
from gitcoord.server.branchrules import (
    check_claimed_paths,
    check_protected,
    check_protection_kept,
    enforced_protection,
    protected,
)
from gitcoord.server.claimrules import check_claims, claims_after
from gitcoord.server.logrules import check_logs
from gitcoord.server.policy import BRANCHES, Pusher, Refusal
from gitcoord.server.policyrules import REMOTE, asks_commits, check_commit_policy, check_deploy
from gitcoord.server.refchange import RefChange
from gitcoord.server.settings import read_settings
from gitcoord.server.taskrules import check_slots, check_task_refs, read_slots, running_refs
from gitcoord.server.waiterrules import check_waiters, waiter_writes

AUDIT_FILE = "audit.jsonl"


def _pusher(git_dir: Path) -> Pusher:
    return Pusher(os.environ.get("GL_USER") or None, read_settings(git_dir))


def _claim_checks(
    git_dir: Path, changes: Sequence[RefChange], pusher: Pusher, now: float, skew: float
) -> tuple[list[Refusal], dict[str, Claim]]:
    writes = {c.ref: c.new for c in changes if c.ref.startswith(CLAIMS) and not c.deletes}
    current, pushed = gitdata.claims_for(git_dir, bare.current_refs(git_dir, CLAIMS), writes)
    refusals = check_claims(changes, current, pushed, pusher, now, skew)
    return refusals, claims_after(changes, current, pushed)


class Verdicts(NamedTuple):
    refusals: list[Refusal]
    warnings: list[Refusal]  # allowed, told to the pusher: a check in warn mode


def pre_receive(git_dir: Path, changes: Sequence[RefChange]) -> Verdicts:
    """Every rule, before any ref is locked: the clean refusals (and the warnings)."""
    pusher = _pusher(git_dir)
    now = timeutil.now()
    out = Verdicts([], [])
    branch_changes = [c for c in changes if c.ref.startswith(BRANCHES)]
    claim_changes = [c for c in changes if c.ref.startswith(CLAIMS)]
    if any(c.ref.startswith(LOG) for c in changes):
        out.refusals.extend(_log_checks(git_dir, changes, pusher))
    if waiter_writes(changes):
        out.refusals.extend(_waiter_checks(git_dir, changes, pusher))
    creates_slots = any(c.ref.startswith(SLOTS) and c.creates and not c.deletes for c in changes)
    if not (claim_changes or branch_changes or creates_slots):
        # No slot created: no pool's bound to read from the policy.
        out.refusals.extend(_task_checks(git_dir, changes, {}))
        return out
    # gitcoord.toml on the default branch and at each pushed-to branch's tip, read at once.
    tips = [c.old for c in branch_changes if not (c.creates or c.deletes)]
    policies = gitdata.team_configs(git_dir, ["HEAD", *tips])
    team = policies["HEAD"].config
    out.refusals.extend(_task_checks(git_dir, changes, team.pools))
    if not (claim_changes or branch_changes):
        return out
    skew = float(team.claims.clock_skew)
    claim_refusals, after = _claim_checks(git_dir, changes, pusher, now, skew)
    out.refusals.extend(claim_refusals)
    if branch_changes:
        patterns = enforced_protection(pusher.settings, team.sync_protected)
        out.refusals.extend(check_protected(branch_changes, patterns, _ancestor(git_dir)))
        out.refusals.extend(_protection_kept(git_dir, branch_changes, patterns, pusher, policies))
        live = [c for c in after.values() if not c.is_expired(now, skew)]
        _branch_checks(git_dir, branch_changes, policies, pusher, live, now, out)
    return out


def _task_checks(
    git_dir: Path, changes: Sequence[RefChange], pools: Mapping[str, int]
) -> list[Refusal]:
    """The task and slot refs the push writes (taskrules.py): their objects read in two git
    processes, and the running refs their slots' tasks belong at looked up as they will be
    (a third, only when the push does not write one of them itself)."""
    writes = [c for c in changes if c.ref.startswith((TASKS, SLOTS)) and not c.deletes]
    if not writes:
        return []
    infos = bare.object_info(git_dir, (c.new for c in writes))
    small = [i.oid for i in infos.values() if i.type == "commit" and i.size <= MAX_OBJECT_BYTES]
    raw = read_objects(git_dir, small, keep_repo_env=True)
    refusals = check_task_refs(changes, infos, raw)
    slots = read_slots(changes, infos, raw)
    if not slots:
        return refusals
    pushed = {c.ref: None if c.deletes else c.new for c in changes}
    wanted = running_refs(slots)
    there = bare.object_info(git_dir, [r for r in wanted if r not in pushed])
    after = {
        r: pushed[r] if r in pushed else (there[r].oid if r in there else None) for r in wanted
    }
    creates = any(c.ref.startswith(SLOTS) and c.creates for c in writes)
    current = bare.current_refs(git_dir, SLOTS) if creates else {}
    return refusals + check_slots(changes, slots, after, current, pools)


def _waiter_checks(git_dir: Path, changes: Sequence[RefChange], pusher: Pusher) -> list[Refusal]:
    infos = bare.object_info(git_dir, (c.new for c in waiter_writes(changes)))
    small = [i.oid for i in infos.values() if i.type == "commit" and i.size <= MAX_OBJECT_BYTES]
    return check_waiters(changes, infos, read_objects(git_dir, small, keep_repo_env=True), pusher)


def _ancestor(git_dir: Path) -> Callable[[str, str], bool]:
    return lambda old, new: bare.is_ancestor(git_dir, old, new)


def _log_checks(git_dir: Path, changes: Sequence[RefChange], pusher: Pusher) -> list[Refusal]:
    log_changes = [c for c in changes if c.ref.startswith(LOG) and not c.deletes]
    tips = bare.object_info(git_dir, (c.new for c in log_changes))
    new_commits = {
        c.ref: bare.new_log_commits(git_dir, c.new)
        for c in log_changes
        if c.new in tips and tips[c.new].type == "commit"
    }
    brought = [oid for oids in new_commits.values() for oid in oids[:MAX_NEW_LOG_COMMITS]]
    infos = {**tips, **bare.object_info(git_dir, brought)}
    small = [i.oid for i in infos.values() if i.size <= MAX_LOG_OBJECT_BYTES]
    raw = read_objects(git_dir, small, keep_repo_env=True)
    return check_logs(changes, new_commits, infos, raw, pusher, _ancestor(git_dir))


def _branch_checks(
    git_dir: Path,
    changes: Sequence[RefChange],
    policies: Mapping[str, gitdata.TeamPolicy],
    pusher: Pusher,
    live: Sequence[Claim],
    now: float,
    out: Verdicts,
) -> None:
    """Per pushed branch: the claimed paths, the guards and roles (policyrules.py) of the
    commits no branch on the server has yet, read once; and the deploy rule."""
    team = policies["HEAD"].config
    home = gitdata.default_branch(git_dir).removeprefix(BRANCHES)
    base_tips = _BaseTips(git_dir, changes)
    for ch in changes:
        if ch.deletes:
            continue
        asked = [policies["HEAD"]] if ch.creates else [policies[ch.old], policies["HEAD"]]
        configs = list({p.key: p.config for p in asked}.values())
        verdicts = check_deploy(ch.ref, ch.new, configs, home, base_tips.get, base_tips.behind)
        if live or any(asks_commits(c) for c in configs):
            commits = bare.new_commits(git_dir, ch.new)
            if live:
                out.refusals.extend(
                    check_claimed_paths(ch.ref, commits, live, pusher, now, team.agent_emails)
                )
            fix_base = f"{REMOTE}/{home}" if ch.creates else ch.old[:12]
            verdicts += check_commit_policy(ch.ref, commits, configs, pusher, fix_base)
        for v in verdicts:
            (out.refusals if v.mode == "enforce" else out.warnings).append(v.refusal)


class _BaseTips:
    """The base branches' tips as they will be after this push, looked up once each, and
    how far a pushed commit is behind one (counted once per pair)."""

    def __init__(self, git_dir: Path, changes: Sequence[RefChange]) -> None:
        self.git_dir = git_dir
        self.pushed = {c.ref: c.new for c in changes}
        self.tips: dict[str, str | None] = {}
        self.counts: dict[tuple[str, str], int] = {}

    def get(self, branch: str) -> str | None:
        ref = BRANCHES + branch
        if ref not in self.tips:
            if ref in self.pushed:
                tip = None if is_zero(self.pushed[ref]) else self.pushed[ref]
            elif any(ord(ch) <= 32 for ch in ref):  # no branch has such a name
                tip = None
            else:
                info = bare.object_info(self.git_dir, [ref]).get(ref)
                tip = info.oid if info is not None and info.type == "commit" else None
            self.tips[ref] = tip
        return self.tips[ref]

    def behind(self, tip: str, new: str) -> int:
        if (tip, new) not in self.counts:
            self.counts[(tip, new)] = bare.count_missing(self.git_dir, tip, new)
        return self.counts[(tip, new)]


def _protection_kept(
    git_dir: Path,
    changes: Sequence[RefChange],
    patterns: Sequence[str],
    pusher: Pusher,
    policies: Mapping[str, gitdata.TeamPolicy],
) -> list[Refusal]:
    """Refusals for pushes to the default or a protected branch whose gitcoord.toml drops a
    pattern the server records (policy.check_protection_kept). The old side is the policy
    read for the branch's tip; the new side is read only when the file changed."""
    home = gitdata.default_branch(git_dir)
    refusals: list[Refusal] = []
    for ch in changes:
        if ch.deletes or ch.creates or not (ch.ref == home or protected(ch.ref, patterns)):
            continue
        after = f"{ch.new}:gitcoord.toml"
        new_info = bare.object_info(git_dir, [after]).get(after)
        old = policies[ch.old]
        if (new_info.oid if new_info is not None else "") == old.key:
            continue
        new_list = gitdata.team_config(git_dir, ch.new, new_info).sync_protected
        refusals += check_protection_kept(
            ch.ref, old.config.sync_protected, new_list, pusher.settings.protected, str(git_dir)
        )
    return refusals


def prepared(git_dir: Path, changes: Sequence[RefChange]) -> list[Refusal]:
    """The claim rules again, under the claims lock, against the refs as they are now."""
    skew = float(gitdata.team_config(git_dir).claims.clock_skew)
    refusals, _ = _claim_checks(git_dir, changes, _pusher(git_dir), timeutil.now(), skew)
    return refusals


def record_breaks(git_dir: Path, state_dir: Path, changes: Sequence[RefChange]) -> None:
    """Append each claim an authenticated user deleted in another agent's name."""
    gl_user = os.environ.get("GL_USER")
    # A packed-refs sub-transaction repeats deletions as 0 -> 0: skip those.
    deleted = {
        c.ref: c.old
        for c in changes
        if c.ref.startswith(CLAIMS) and c.deletes and not is_zero(c.old)
    }
    if not gl_user or not deleted:
        return
    pusher = _pusher(git_dir)
    at = timeutil.now()
    lines = []
    for ref, claim in gitdata.claims_for(git_dir, deleted)[0].items():
        if isinstance(claim, Claim) and not pusher.owns(claim.agent):
            record = {
                "event": "break",
                "at": timeutil.to_iso(at),
                "gl_user": gl_user,
                "admin": pusher.admin,
                "ref": ref,
                "claim": claim.public_json(),
                "expired": claim.is_expired(at),
            }
            lines.append(json.dumps(record, sort_keys=True) + "\n")
    if lines:
        state_dir.mkdir(exist_ok=True)
        with open(state_dir / AUDIT_FILE, "a", encoding="utf-8") as fh:
            fh.write("".join(lines))


def emit(refusals: Sequence[Refusal], warnings: Sequence[Refusal] = ()) -> None:
    for w in warnings:
        print(w.render(warning=True), file=sys.stderr)
    for r in refusals:
        print(r.render(), file=sys.stderr)
    sys.stderr.flush()
