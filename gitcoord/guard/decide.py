"""The edit-time decision: one agent tool call against the policy core, as the git hooks ask
it at commit time (stage "edit"), before anything is written.

- A write (file tool, or a shell command's writes) of a path another holder claims, a
  `[claims] require` path without a claim of mine, a guarded path (block; approve asks a
  human where the harness can), a path outside my role, or any write while the rules are
  not acknowledged at the hash in force: refused. A warn-tier guard allows with a note.
- A read (file tool, or a shell command's reads) of a path whose guard says `read = "deny"`
  (or "ask"): refused (or asked).
- With `[claims] auto = true`, the first write of a session to a free path claims it for
  that session before the write is allowed; a refused claim refuses the write.
- A shell command whose targets cannot be determined is allowed: the git hooks, CI and the
  server stay the backstop for what it changes.

The holder is (agent, session) with the harness's session id as the session, so two agent
sessions in one checkout are two holders. Claims come from the snapshot when it is younger
than `[claims] max_age`, else from the remote, under the offline policy
(store/checked_claims.py).
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Sequence
from typing import NamedTuple

from gitcoord.core import timeutil
from gitcoord.core.change import Change
from gitcoord.core.claim import Claim
from gitcoord.core.config import Config
from gitcoord.core.errors import UsageError
from gitcoord.core.identity import Identity
from gitcoord.core.paths import PathCache, normalize_user_path, tracked_hooks_dir
from gitcoord.git.repo import Repo
from gitcoord.guard.toolcall import ALLOW, ASK, DENY, READ, SHELL, WRITE, ToolCall, Verdict
from gitcoord.policy import decisions as policy
from gitcoord.store import localstate
from gitcoord.store.checked_claims import claims_to_check
from gitcoord.store.policy_source import Policy, load_policy

_SAFE_SESSION = re.compile(r"[A-Za-z0-9._:-]{1,100}")


class Targets(NamedTuple):
    """What a tool call touches, as repository keys (paths outside the repository and inside
    .git are not gitcoord's to guard)."""

    writes: tuple[str, ...] = ()
    deletes: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()


def session_of(call: ToolCall, repo: Repo) -> str:
    """The claim session of a harness session: its id as given when it is a short plain
    word, else a digest of it; without one, the working tree's own session."""
    raw = call.session
    if not raw:
        return repo.identity().session
    if _SAFE_SESSION.fullmatch(raw):
        return raw
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def identity(call: ToolCall, repo: Repo) -> Identity:
    me = repo.identity()
    return me._replace(session=session_of(call, repo))


def targets(call: ToolCall, repo: Repo) -> Targets:
    top = str(repo.toplevel)
    cwd = os.path.realpath(call.cwd)
    flags = repo.git_config
    cache = PathCache()

    def keys(paths: Sequence[str]) -> tuple[str, ...]:
        out: dict[str, None] = {}
        for raw in paths:
            try:
                key, _ = normalize_user_path(
                    raw,
                    cwd=cwd,
                    toplevel=top,
                    ignorecase=flags.get("core.ignorecase") == "true",
                    precompose=flags.get("core.precomposeunicode") == "true",
                    cache=cache,
                )
            except UsageError:  # outside the repository, inside .git: not ours to guard
                continue
            out.setdefault(key or ".", None)
        return tuple(out)

    if call.action == SHELL:
        from gitcoord.guard.shell import shell_targets  # tree-sitter: only for shell commands

        found = shell_targets(call.command, cwd)
        return Targets(keys(found.writes), keys(found.deletes), keys(found.reads))
    if call.action == WRITE:
        return Targets(keys(call.paths), keys(call.deletes))
    if call.action == READ:
        return Targets(reads=keys(call.paths))
    return Targets()


def decide(call: ToolCall, harness: str) -> Verdict:
    """The verdict on one tool call; SESSION_START and OTHER are not asked here. ASK where
    a human may let the call through: a harness that cannot ask refuses it, saying so."""
    try:
        repo = Repo.discover(call.cwd)
    except (UsageError, OSError):  # not in a git working tree: nothing of ours to guard
        return Verdict(ALLOW)
    touched = targets(call, repo)
    if not (touched.writes or touched.reads):
        return Verdict(ALLOW)
    run = _Run(repo, call, harness)
    reads = run.read_findings(touched.reads)
    writes = run.write_findings(touched) if touched.writes else []
    findings = reads + writes
    localstate.log_findings(repo.state_dir, f"guard:{harness}", run.me.agent, findings)
    blocking = [f for f in findings if f.blocking]
    if blocking:
        asking = all(run.asks(f, f in reads) for f in blocking)
        return Verdict(ASK if asking else DENY, _render(blocking))
    if touched.writes and run.policy.config.claims.auto:
        refused = run.auto_claim(touched.writes)
        if refused:
            return Verdict(DENY, refused)
    shown = [f for f in findings if f.mode == "warn"]
    return Verdict(ALLOW, _render(shown) if shown else "")


def _render(findings: Sequence[policy.Finding]) -> str:
    return "\n".join(f.render() for f in findings)


class _Run:
    """The inputs one decision shares, each read at most once."""

    def __init__(self, repo: Repo, call: ToolCall, harness: str) -> None:
        self.repo = repo
        self.harness = harness
        self.policy: Policy = load_policy(repo.toplevel)
        self.me = identity(call, repo)
        config = self.policy.config
        self.role = policy.resolve_role(config, self.me.agent, os.environ.get("GITCOORD_ROLE"))
        self.now = timeutil.now()
        self.citations = localstate.citations(config.rules_file, self.policy.rules)
        self.extra = tracked_hooks_dir(repo.toplevel, repo.git_config.get("core.hookspath"))
        self.claims: list[Claim] = []

    def _input(self, changes: Sequence[Change], rules: policy.RulesState) -> policy.PolicyInput:
        return policy.PolicyInput(
            stage="edit",
            changes=changes,
            config=self.policy.config,
            agent=self.me.agent,
            role=self.role,
            claims=self.claims,
            now=self.now,
            rules=rules,
            extra_guarded=self.extra,
            citations=self.citations,
            session=self.me.session,
        )

    def read_findings(self, reads: Sequence[str]) -> list[policy.Finding]:
        config = self.policy.config
        if not reads or all(g.read == "allow" for g in config.guards):
            return []
        inp = self._input((), policy.RulesState(config.rules_file, None, None))
        guarded = _under_directories(self.repo, reads, config)
        return policy.read_findings(inp, guarded)

    def write_findings(self, touched: Targets) -> list[policy.Finding]:
        config = self.policy.config
        self.claims = claims_to_check(
            self.repo,
            config,
            self.me,
            touched.writes,
            now=self.now,
            fresh_only=False,
            who=f"gitcoord guard ({self.harness})",
            warn=lambda text: print(text, file=sys.stderr),
        )
        digest = self.policy.rules_hash
        acked = localstate.acked_hash(self.repo.state_dir, self.me.agent) if digest else None
        rules = policy.RulesState(config.rules_file, digest, acked)
        deleted = set(touched.deletes)
        changes = [Change("D" if p in deleted else "M", p) for p in touched.writes]
        return policy.evaluate(self._input(changes, rules))

    def asks(self, finding: policy.Finding, is_read: bool) -> bool:
        """Whether a human may let this through at the tool call: a read its guard asks
        about, or a write to an approve-tier path."""
        if finding.check != "guards":
            return False
        if is_read:
            rule = policy.read_rule(finding.path, self.policy.config)
            return rule is not None and rule[0].read == "ask"
        hit = policy.guard_for(finding.path, self.policy.config, self.extra)
        return hit is not None and hit[0].tier == "approve"

    def auto_claim(self, writes: Sequence[str]) -> str:
        """Claim the free paths this session writes first ([claims] auto); the refusal, if
        the claim is refused, else ""."""
        from gitcoord.guard.autoclaim import claim_first_writes  # the claim protocol: rare

        return claim_first_writes(self.repo, self.policy.config, self.me, self.claims, writes)


MAX_WALKED = 20000  # entries a directory read is searched through for read-guarded files


def _under_directories(repo: Repo, reads: Sequence[str], config: Config) -> list[str]:
    """The paths a read reaches: a directory (`grep -r KEY .`) stands for the read-guarded
    files under it, found on disk (ignored ones too: secrets usually are), .git left out.
    Past MAX_WALKED entries the rest of a directory is not searched."""
    out: list[str] = []
    top = str(repo.toplevel)
    for key in reads:
        where = os.path.join(top, key)
        if not os.path.isdir(where):
            out.append(key)
            continue
        walked = 0
        for root, dirs, files in os.walk(where):
            dirs[:] = [d for d in dirs if d != ".git"]
            walked += len(dirs) + len(files)
            rel = os.path.relpath(root, top).replace(os.sep, "/")
            named = (f if rel == "." else f"{rel}/{f}" for f in files)
            out += [p for p in named if policy.read_rule(p, config) is not None]
            if walked > MAX_WALKED:
                break
    return out
