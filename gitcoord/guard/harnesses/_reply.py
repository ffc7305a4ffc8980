"""The pieces of a reply every harness module shares: JSON on stdout, the refusal text, and
"ask" turned into a refusal where the harness cannot ask."""

from __future__ import annotations

import json
from typing import Any

from gitcoord.guard.toolcall import ASK, Reply, Verdict

BLOCK = 2  # the exit status every harness documents as "block this tool call"
REFUSED = "gitcoord refused this tool call"  # when the decision gave no reason
HUMAN_MUST_APPROVE = (
    "A human must approve this, and this agent's hooks cannot ask for approval: "
    "ask the user to approve or make this change."
)


def json_out(body: dict[str, Any], exit_code: int = 0) -> Reply:
    return Reply(exit_code, json.dumps(body) + "\n")


def session_context(verdict: Verdict) -> str:
    """What the agent is told at session start ("" for nothing)."""
    return verdict.context or verdict.message


def reason(verdict: Verdict, *, can_ask: bool) -> str:
    """Why the call is refused (DENY), or asked about (ASK where the harness asks); an ASK
    that must be a refusal says that a human must approve."""
    message = verdict.message or REFUSED
    if verdict.decision == ASK and not can_ask:
        return f"{HUMAN_MUST_APPROVE} {message}" if verdict.message else HUMAN_MUST_APPROVE
    return message


def exit_block(verdict: Verdict, *, can_ask: bool = False) -> Reply:
    """Exit 2 with the reason on stderr: the block every harness here understands."""
    return Reply(BLOCK, "", reason(verdict, can_ask=can_ask) + "\n")
