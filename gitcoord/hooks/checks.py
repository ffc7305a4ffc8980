"""The pre-commit and pre-push hooks: gather the inputs, ask the policy core, report.

Each hook gathers its inputs (staged or pushed paths, claims, rules state, approvals), asks
the policy core for findings, logs them all, prints warn/enforce ones and returns 1 if any is
enforced. Under the pre-commit framework the pre-push refs come from PRE_COMMIT_* variables.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from gitcoord.core import timeutil
from gitcoord.core.approvals import Approval
from gitcoord.core.change import Change
from gitcoord.core.claim import Claim
from gitcoord.core.config import CONFIG_FILE, Config
from gitcoord.core.errors import ConfigError, ExitCode, UsageError
from gitcoord.core.oids import is_zero
from gitcoord.core.paths import tracked_hooks_dir
from gitcoord.git.changes import (
    PushedRef,
    commits_changes,
    parse_pre_push,
    staged_changes,
    staged_patch_id,
)
from gitcoord.git.repo import Repo
from gitcoord.policy import decisions as policy
from gitcoord.store import localstate
from gitcoord.store.checked_claims import claims_to_check
from gitcoord.store.policy_source import load_policy


def _warn(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class HookRun:
    """The inputs one hook run shares between checks, each read at most once."""

    def __init__(self, hook: str) -> None:
        self.hook = hook
        self.repo = Repo.discover()
        self.cwd = str(self.repo.toplevel)
        # The committed policy, never the working tree's (store/policy_source.py).
        self.policy = load_policy(self.repo.toplevel)
        self.config: Config = self.policy.config
        self.me = self.repo.identity()
        self.agent = self.me.agent
        self.role = policy.resolve_role(self.config, self.agent, os.environ.get("GITCOORD_ROLE"))
        self.now = timeutil.now()
        self.citations: dict[str, str] = {}  # check -> the rules-file line stating its rule

    def extra_guarded(self) -> list[str]:
        # Our shim says where it lives (hooks run at the top level); otherwise ask git config.
        here = os.environ.get("GITCOORD_HOOK_DIR")
        where = here if here else self.repo.git_config.get("core.hookspath")
        return tracked_hooks_dir(self.repo.toplevel, where)

    def claims(self, fresh_only: bool, changes: Sequence[Change]) -> list[Claim]:
        return claims_to_check(
            self.repo,
            self.config,
            self.me,
            policy.touched_paths(changes),
            now=self.now,
            fresh_only=fresh_only,
            who=self.hook,
            warn=_warn,
        )

    def rules(self) -> policy.RulesState:
        content, digest = self.policy.rules, self.policy.rules_hash
        self.citations = localstate.citations(self.config.rules_file, content)
        acked = localstate.acked_hash(self.repo.state_dir, self.agent) if digest else None
        return policy.RulesState(self.config.rules_file, digest, acked)

    def evaluate(
        self,
        stage: str,
        changes: Sequence[Change],
        rules: policy.RulesState,
        extra_guarded: Sequence[str],
        approve_patch_id: str | None = None,
        approvals: Sequence[Approval] = (),
        fix_base: str = "",
    ) -> list[policy.Finding]:
        """The policy core's findings for `changes`: a commit may use a fresh snapshot of the
        claims, a push always reads the remote. Mine is this session's (policy/agents.py)."""
        return policy.evaluate(
            policy.PolicyInput(
                stage=stage,
                changes=changes,
                config=self.config,
                agent=self.agent,
                role=self.role,
                claims=self.claims(fresh_only=stage == "push", changes=changes),
                now=self.now,
                rules=rules,
                approve_patch_id=approve_patch_id,
                approvals=approvals,
                extra_guarded=extra_guarded,
                citations=self.citations,
                session=self.me.session,
                fix_base=fix_base,
            )
        )

    def finish(self, findings: list[policy.Finding]) -> int:
        localstate.log_findings(self.repo.state_dir, self.hook, self.agent, findings)
        for f in findings:
            if f.mode in ("warn", "enforce"):
                _warn(f.render())
        return int(ExitCode.REFUSED) if policy.blocking(findings) else 0


def pre_commit() -> int:
    run = HookRun("pre-commit")
    changes = staged_changes(run.cwd)
    if not changes:
        return 0
    _refuse_broken_config(run.cwd, changes)
    rules = run.rules()
    extra = run.extra_guarded()
    patch_id = None
    approvals: list[Approval] = []
    if run.config.checks.get("guards") != "off":
        needs = policy.approve_paths(changes, run.config, extra)
        if needs:
            patch_id = staged_patch_id(run.cwd, needs)
            approvals = localstate.read_approvals(run.repo.state_dir)
    findings = run.evaluate(
        "commit", changes, rules, extra, approve_patch_id=patch_id, approvals=approvals
    )
    return run.finish(findings)


def _refuse_broken_config(cwd: str, changes: Sequence[Change]) -> None:
    """A staged gitcoord.toml must parse: once it lands, every layer reads it, and a broken
    one would stop everyone (exit 2, naming the key and line)."""
    if not any(c.path == CONFIG_FILE and c.status != "D" for c in changes):
        return
    from gitcoord.core.config import MAX_POLICY_BYTES, parse_config
    from gitcoord.git.history import files_at

    text = files_at(cwd, [":" + CONFIG_FILE], MAX_POLICY_BYTES).get(":" + CONFIG_FILE)
    if text is None:
        raise ConfigError(f"the staged {CONFIG_FILE} is larger than {MAX_POLICY_BYTES} bytes")
    try:
        parse_config(text.decode("utf-8", "replace"))
    except ConfigError as exc:
        raise ConfigError(f"{exc.message} (as staged)", fix=f"edit {CONFIG_FILE}") from None


def _framework_push(timeout: float) -> tuple[str, list[PushedRef]]:
    """Under the pre-commit framework there is no stdin: the refs come from its variables.
    The remote's current oid is asked from the remote itself (the framework reports it only
    when this clone already has it)."""
    remote = os.environ.get("PRE_COMMIT_REMOTE_NAME", "origin")
    remote_ref = os.environ.get("PRE_COMMIT_REMOTE_BRANCH", "")
    local_oid = os.environ.get("PRE_COMMIT_TO_REF", "")
    from gitcoord.git.branches import remote_ref_oid

    remote_oid = remote_ref_oid(remote, remote_ref, timeout) or "0" * 40
    local_ref = os.environ.get("PRE_COMMIT_LOCAL_BRANCH", "HEAD")
    return remote, [PushedRef(local_ref, local_oid, remote_ref, remote_oid)]


def pre_push(args: Sequence[str]) -> int:
    run = HookRun("pre-push")
    if args:
        remote = args[0]
        pushed = parse_pre_push(sys.stdin.read())
    elif os.environ.get("PRE_COMMIT_TO_REF"):
        remote, pushed = _framework_push(run.config.remote.timeout)
    else:
        raise UsageError("pre-push: expected REMOTE and URL arguments (git passes them)")
    from gitcoord.store.sync import push_checks

    rules = run.rules()
    drops = push_checks(run.cwd, remote, pushed, run.config)
    findings = policy.sync_findings(drops, run.config, run.citations)
    include = [p.local_oid for p in pushed if not is_zero(p.local_oid)]
    exclude = [p.remote_oid for p in pushed if not is_zero(p.remote_oid)]
    changes = commits_changes(run.cwd, include, exclude)
    if changes:
        base = _rewrite_base(run.cwd, pushed, include)
        findings += run.evaluate("push", changes, rules, run.extra_guarded(), fix_base=base)
    return run.finish(findings)


def _rewrite_base(cwd: str, pushed: Sequence[PushedRef], include: Sequence[str]) -> str:
    """Where the pushed commits start, for a fix that rewrites them (`git rebase -i BASE`):
    the remote's tip of an updated branch, else the parent of the oldest commit no remote
    has (a new branch; `--root` when that is a root commit)."""
    for p in pushed:
        if not is_zero(p.remote_oid) and not is_zero(p.local_oid):
            return p.remote_oid[:10]
    from gitcoord.git.history import non_merge_log

    oldest = non_merge_log(cwd, [*include, "--not", "--remotes"], "%P").split("\n", 1)[0]
    return oldest.split()[0][:10] if oldest.split() else "--root"
