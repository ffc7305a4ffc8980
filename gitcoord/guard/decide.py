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

from gitcoord.core import timeutil
from gitcoord.core.change import Change
from gitcoord.core.claim import Claim
from gitcoord.core.identity import Identity
from gitcoord.core.paths import tracked_hooks_dir
from gitcoord.core.textsafe import path_word
from gitcoord.git.repo import Repo
from gitcoord.guard.targets import (
    Targets,
    absolute_targets,
    in_git_dir,
    keys,
    repository_of,
    under_directories,
)
from gitcoord.guard.toolcall import ALLOW, ASK, DENY, ToolCall, Verdict
from gitcoord.policy import decisions as policy
from gitcoord.store import localstate
from gitcoord.store.checked_claims import claims_to_check
from gitcoord.store.policy_source import Policy, load_policy

_SAFE_SESSION = re.compile(r"[A-Za-z0-9._:-]{1,100}")


def session_of(call: ToolCall, repo: Repo, session_env: bool = True) -> str:
    """The claim session of a harness session: its id as given when it is a short plain
    word, else a digest of it. The working tree's own session (GITCOORD_SESSION, else this
    checkout's id) when the payload has none, or when the harness cannot give the agent's
    shell the id: then the agent's `git claim` and commits could not act as that holder."""
    raw = call.session
    if not raw or not session_env:
        return repo.identity().session
    if _SAFE_SESSION.fullmatch(raw):
        return raw
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def identity(call: ToolCall, repo: Repo, session_env: bool = True) -> Identity:
    me = repo.identity()
    return me._replace(session=session_of(call, repo, session_env))


def decide(call: ToolCall, harness: str, session_env: bool = True) -> Verdict:
    """The verdict on one tool call; SESSION_START and OTHER are not asked here. ASK where
    a human may let the call through: a harness that cannot ask refuses it, saying so.
    `session_env`: whether the harness gives the agent's own shell the session's id (else
    the claim session is the working tree's, the one its `git claim` and commits use)."""
    named = absolute_targets(call)
    repo = repository_of(call, (*named.writes, *named.reads))
    if repo is None:  # no git working tree: nothing of ours to guard
        return Verdict(ALLOW)
    if named.unparsed:
        return Verdict(DENY, UNPARSED)
    inside_git = in_git_dir(repo, named.writes)
    if inside_git:
        return Verdict(DENY, _git_dir_refusal(inside_git[0]))
    touched = Targets(keys(repo, named.writes), keys(repo, named.deletes), keys(repo, named.reads))
    if not (touched.writes or touched.reads):
        return Verdict(ALLOW)
    run = _Run(repo, call, harness, session_env)
    reads = run.read_findings(touched.reads)
    writes = run.write_findings(touched) if touched.writes else []
    findings = reads + writes
    localstate.log_findings(repo.state_dir, f"guard:{harness}", run.me.agent, findings)
    blocking = [f for f in findings if f.blocking]
    if blocking:
        asking = all(run.asks(f, f in reads) for f in blocking)
        if asking:  # a human decides: not (yet) a refusal
            return Verdict(ASK, "\n".join(_ask(f) for f in blocking))
        return Verdict(DENY, _render(blocking))
    notes = [_render([f]) for f in findings if f.mode == "warn"]
    if touched.writes and run.policy.config.claims.auto:
        refused, claimed = run.auto_claim(touched.writes)
        if refused:
            return Verdict(DENY, refused)
        if claimed:
            paths = ", ".join(claimed)
            notes.append(
                f"gitcoord: claimed {paths} for this session ([claims] auto); release it when "
                f"done: {_release_command(run.me.session, claimed, session_env)}"
            )
    return Verdict(ALLOW, "\n".join(notes))


UNPARSED = (
    "gitcoord: refused: this shell command does not parse as a whole (an unterminated quote "
    "or here-document, or nesting too deep to follow), so what it writes cannot be told, "
    "yet bash may still run it\n  fix: write the command out plainly and run it again"
)


def _git_dir_refusal(path: str) -> str:
    return (
        f"gitcoord: refused: {path} is inside the repository's .git directory, whose hooks "
        "and gitcoord state decide what the checks do\n  fix: change it with git's own "
        "commands (git config, gitcoord hooks install); a human edits .git by hand"
    )


def _release_command(session: str, paths: Sequence[str], session_env: bool) -> str:
    # Under session env the agent's shell already carries the session.
    prefix = "" if session_env else f"GITCOORD_SESSION={session} "
    return f"{prefix}git claim -d {' '.join(path_word(p) for p in paths)}"


def _render(findings: Sequence[policy.Finding]) -> str:
    return "\n".join(f.render() for f in findings)


def _ask(f: policy.Finding) -> str:
    return f"gitcoord: a human must approve ({f.check}): {f.message}\n  why: {f.reason}"


class _Run:
    """The inputs one decision shares, each read at most once."""

    def __init__(self, repo: Repo, call: ToolCall, harness: str, session_env: bool) -> None:
        self.repo = repo
        self.harness = harness
        self.policy: Policy = load_policy(repo.toplevel)
        self.me = identity(call, repo, session_env)
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
        guarded = under_directories(self.repo, reads, config)
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
            who=f"the {self.harness} hook",
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

    def auto_claim(self, writes: Sequence[str]) -> tuple[str, list[str]]:
        """Claim the free paths this session writes first ([claims] auto): the refusal
        ("" for none) and the paths claimed."""
        from gitcoord.guard.autoclaim import claim_first_writes  # the claim protocol: rare

        return claim_first_writes(self.repo, self.policy.config, self.me, self.claims, writes)
