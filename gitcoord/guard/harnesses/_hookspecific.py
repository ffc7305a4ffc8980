"""The `hookSpecificOutput` reply protocol Claude Code defined and Codex CLI shares (Gemini
CLI for its SessionStart): a JSON object on stdout, exit 0.

An allowed call with a note carries it as `additionalContext` and no `permissionDecision`:
"allow" would also skip the user's own permission prompts, which gitcoord has no say over.
"""

from __future__ import annotations

from gitcoord.guard.harnesses._reply import json_out, reason, session_context
from gitcoord.guard.toolcall import ALLOW, ASK, DENY, Reply, Verdict


def pre_tool_use(verdict: Verdict, *, can_ask: bool) -> Reply:
    if verdict.decision == ALLOW:
        if not verdict.message:
            return Reply(0)
        return json_out(_out("PreToolUse", additionalContext=verdict.message))
    decision = ASK if verdict.decision == ASK and can_ask else DENY
    return json_out(
        _out(
            "PreToolUse",
            permissionDecision=decision,
            permissionDecisionReason=reason(verdict, can_ask=can_ask),
        )
    )


def session_start(verdict: Verdict) -> Reply:
    """Context for the agent at session start (a session start cannot be refused)."""
    text = session_context(verdict)
    return json_out(_out("SessionStart", additionalContext=text)) if text else Reply(0)


def _out(event: str, **fields: str) -> dict[str, dict[str, str]]:
    return {"hookSpecificOutput": {"hookEventName": event, **fields}}
