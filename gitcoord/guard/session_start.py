"""What an agent is told when its session starts: who it is, its role, the rules in force
(with their hash and whether it acknowledged them) and the live claims of others; and, where
the harness lets a hook set the session's environment (Claude Code's CLAUDE_ENV_FILE), the
identity its later `git claim` and `git commit` run under, so they are the same holder as
its guarded edits."""

from __future__ import annotations

import os
import shlex

from gitcoord.core import timeutil
from gitcoord.core.claim import Holder
from gitcoord.core.config import Config
from gitcoord.core.errors import GitcoordError, UsageError
from gitcoord.core.identity import Identity
from gitcoord.core.textsafe import printable
from gitcoord.core.wording import describe
from gitcoord.git.repo import Repo
from gitcoord.guard.decide import identity
from gitcoord.guard.toolcall import ALLOW, ToolCall, Verdict
from gitcoord.policy import decisions as policy
from gitcoord.store import localstate
from gitcoord.store.checked_claims import claims_to_check
from gitcoord.store.policy_source import load_policy

MAX_RULES_SHOWN = 8000  # characters of the rules file given as context; the rest by command
MAX_CLAIMS_SHOWN = 30

PROTOCOL = (
    "Claim before you change: `git claim PATH -r REASON` (refused: another holder has it; "
    "wait with `git claim --wait PATH`, never work around it). Release when done: "
    "`git claim -d PATH`. Edits to paths others hold, guarded paths and paths outside your "
    "role are refused at the tool call."
)


def session_start(call: ToolCall, session_env: bool) -> Verdict:
    """`session_env`: the harness gives the agent's shell this session's id (guard/decide.py
    session_of), through the environment file it names."""
    try:
        repo = Repo.discover(call.cwd)
    except (UsageError, OSError):
        return Verdict(ALLOW)
    try:
        return Verdict(ALLOW, context=_context(call, repo, session_env))
    except GitcoordError as exc:  # what is known is still worth saying
        return Verdict(ALLOW, context=f"gitcoord could not describe this session: {exc.message}")


def _context(call: ToolCall, repo: Repo, session_env: bool) -> str:
    me = identity(call, repo, session_env)
    in_force = load_policy(repo.toplevel)
    config = in_force.config
    role = policy.resolve_role(config, me.agent, os.environ.get("GITCOORD_ROLE"))
    exported = _export_identity(me.agent, me.session) if session_env else ""
    lines = [
        f"gitcoord: you are agent {printable(me.agent)}, session {me.session}"
        + (f" ({exported})" if exported else "")
        + ".",
    ]
    if role is not None:
        allowed = ", ".join(config.roles.get(role, ())) or "nothing"
        lines.append(f"Your role is {role}: you may write only {allowed}.")
    lines.append(PROTOCOL)
    lines += _rules(repo, in_force.rules, in_force.rules_hash, config.rules_file, me.agent)
    lines += _others(repo, config, me)
    return "\n".join(lines)


def _export_identity(agent: str, session: str) -> str:
    """Append the identity to the harness's environment file, where it gives one."""
    env_file = os.environ.get("CLAUDE_ENV_FILE")
    if not env_file:
        return ""
    words = f"GITCOORD_AGENT={shlex.quote(agent)} GITCOORD_SESSION={shlex.quote(session)}"
    try:
        with open(env_file, "a", encoding="utf-8") as fh:
            fh.write(f"export {words}\n")
    except OSError:
        return ""
    return "set for your shell commands"


def _rules(repo: Repo, text: bytes | None, digest: str | None, name: str, agent: str) -> list[str]:
    if text is None or digest is None:
        return []
    acked = localstate.acked_hash(repo.state_dir, agent) == digest
    state = (
        "you have acknowledged them"
        if acked
        else "you have NOT acknowledged them: read them, then run `gitcoord rules --ack` "
        "before your first edit (edits are refused until then)"
    )
    body = text.decode("utf-8", "replace")
    cut = body[:MAX_RULES_SHOWN]
    more = "\n[... the rest: `gitcoord rules`]" if len(body) > MAX_RULES_SHOWN else ""
    return [f"The team's rules ({name}, {digest}); {state}:", cut.rstrip() + more]


def _others(repo: Repo, config: Config, me: Identity) -> list[str]:
    now = timeutil.now()
    try:
        claims = claims_to_check(
            repo, config, me, None, now=now, fresh_only=False, who="session start", warn=_quiet
        )
    except GitcoordError as exc:
        return [f"Others' claims could not be read: {exc.message}"]
    holder = Holder(me.agent, me.session)
    live = [
        c for c in claims if not holder.holds(c) and not c.is_expired(now, config.claims.clock_skew)
    ]
    if not live:
        return ["No one else holds a claim now."]
    shown = [f"- {describe(c, now, None, holder)}" for c in live[:MAX_CLAIMS_SHOWN]]
    if len(live) > MAX_CLAIMS_SHOWN:
        shown.append(f"- and {len(live) - MAX_CLAIMS_SHOWN} more: `git claim`")
    return [f"Others' live claims ({len(live)}): leave these paths alone.", *shown]


def _quiet(_: str) -> None:
    pass
