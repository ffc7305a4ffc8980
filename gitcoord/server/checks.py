"""The hooks' heavy half: read the repository (gitdata.py) and apply the rules (policy.py).

hook.py imports this module only when a push has something to check.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from gitcoord.core import timeutil
from gitcoord.core.claim import MAX_OBJECT_BYTES, Claim
from gitcoord.core.oids import is_zero
from gitcoord.core.refnames import CLAIMS, LOG
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
from gitcoord.server.refchange import RefChange
from gitcoord.server.settings import read_settings

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


def pre_receive(git_dir: Path, changes: Sequence[RefChange]) -> list[Refusal]:
    """Every rule, before any ref is locked: the clean refusals."""
    pusher = _pusher(git_dir)
    now = timeutil.now()
    refusals: list[Refusal] = []
    branch_changes = [c for c in changes if c.ref.startswith(BRANCHES)]
    claim_changes = [c for c in changes if c.ref.startswith(CLAIMS)]
    log_changes = [c for c in changes if c.ref.startswith(LOG) and not c.deletes]

    def ancestor(old: str, new: str) -> bool:
        return bare.is_ancestor(git_dir, old, new)

    if any(c.ref.startswith(LOG) for c in changes):
        tips = bare.object_info(git_dir, (c.new for c in log_changes))
        new_commits = {
            c.ref: bare.new_log_commits(git_dir, c.new)
            for c in log_changes
            if c.new in tips and tips[c.new].type == "commit"
        }
        brought = [oid for oids in new_commits.values() for oid in oids[:MAX_NEW_LOG_COMMITS]]
        infos = {**tips, **bare.object_info(git_dir, brought)}
        small = [i.oid for i in infos.values() if i.size <= MAX_OBJECT_BYTES]
        raw = read_objects(git_dir, small, keep_repo_env=True)
        refusals += check_logs(changes, new_commits, infos, raw, pusher, ancestor)
    if not (claim_changes or branch_changes):
        return refusals
    team = gitdata.team_config(git_dir)
    skew = float(team.claims.clock_skew)
    claim_refusals, after = _claim_checks(git_dir, changes, pusher, now, skew)
    refusals += claim_refusals
    if branch_changes:
        patterns = enforced_protection(pusher.settings, team.sync_protected)
        refusals += check_protected(branch_changes, patterns, ancestor)
        refusals += _protection_kept(git_dir, branch_changes, patterns, pusher)
        live = [c for c in after.values() if not c.is_expired(now, skew)]
        for ch in branch_changes:
            if ch.deletes or not live:
                continue
            commits = bare.new_commits(git_dir, ch.new)
            refusals += check_claimed_paths(ch.ref, commits, live, pusher, now, team.agent_emails)
    return refusals


def _protection_kept(
    git_dir: Path, changes: Sequence[RefChange], patterns: Sequence[str], pusher: Pusher
) -> list[Refusal]:
    """Refusals for pushes to the default or a protected branch whose gitcoord.toml drops a
    pattern the server records (policy.check_protection_kept)."""
    home = gitdata.default_branch(git_dir)
    refusals: list[Refusal] = []
    for ch in changes:
        if ch.deletes or not (ch.ref == home or protected(ch.ref, patterns)):
            continue
        before, after = (f"{rev}:gitcoord.toml" for rev in (ch.old, ch.new))
        infos = bare.object_info(git_dir, [before, after] if not ch.creates else [after])
        old_info, new_info = infos.get(before), infos.get(after)
        if ch.creates or old_info == new_info:
            continue
        old_list = gitdata.team_config(git_dir, ch.old, old_info).sync_protected
        new_list = gitdata.team_config(git_dir, ch.new, new_info).sync_protected
        refusals += check_protection_kept(
            ch.ref, old_list, new_list, pusher.settings.protected, str(git_dir)
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


def emit(refusals: Sequence[Refusal]) -> None:
    for r in refusals:
        print(r.render(), file=sys.stderr)
    sys.stderr.flush()
