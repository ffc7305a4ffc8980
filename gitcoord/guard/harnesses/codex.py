"""Codex CLI: `PreToolUse` (tools `apply_patch` and `Bash`) and `SessionStart` hooks.

Doc: https://developers.openai.com/codex/hooks; checked against codex-rs/hooks
(src/events/pre_tool_use.rs, src/engine/output_parser.rs, schema/generated/).

Input (stdin): `session_id`, `cwd`, `hook_event_name`, and for PreToolUse `tool_name`
("Bash", "apply_patch", or an MCP tool) and `tool_input.command`: the command line, or for
apply_patch the raw patch body (the files it names are its targets; see apply_patch.py).
The matcher aliases Edit and Write select apply_patch, but `tool_name` stays "apply_patch".

Reply: JSON on stdout, exit 0 (see _hookspecific): `permissionDecision: "deny"` with a
non-empty `permissionDecisionReason` blocks; an allowed call's note is `additionalContext`
(Codex rejects `permissionDecision: "allow"` without `updatedInput`, so none is sent);
SessionStart's context is `additionalContext`. Codex rejects "ask" as unsupported (and
fails open), so SUPPORTS_ASK is False and ASK is refused, saying a human must approve.

SESSION_ENV is False: the documented hooks cannot set the environment of the agent's later
shell commands, so their `git claim` and `git commit` run in the working tree's own session,
not the payload's `session_id`. (Newer builds hand SessionStart hooks a `CODEX_ENV_FILE`,
also as `CLAUDE_ENV_FILE`, applied to later tool environments: codex-rs/hooks
session_start_env_file.rs; older ones do not, so it is not counted on.)
"""

from __future__ import annotations

from typing import Any

from gitcoord.guard.harnesses import _hookspecific
from gitcoord.guard.harnesses._payload import (
    Fields,
    ToolTable,
    envelope,
    not_a_tool,
    patch_call,
    tool_call,
)
from gitcoord.guard.toolcall import SESSION_START, SHELL, Reply, ToolCall, Verdict

NAME = "codex"
SUPPORTS_ASK = False
SESSION_ENV = False
PATCH_TOOL = "apply_patch"

TOOLS: ToolTable = {"Bash": (SHELL, ("command",))}


def parse(payload: dict[str, Any], fallback_cwd: str) -> ToolCall:
    p = Fields(NAME, payload)
    event, cwd, session = envelope(p, fallback_cwd)
    if event != "PreToolUse":
        return not_a_tool(event, cwd, session)
    tool = p.name("tool_name", required=True)
    args = p.sub("tool_input")
    if tool == PATCH_TOOL:
        return patch_call(args, "command", tool, cwd, session)
    return tool_call(args, tool, TOOLS, cwd, session)


def reply(call: ToolCall, verdict: Verdict) -> Reply:
    if call.action == SESSION_START:
        return _hookspecific.session_start(verdict)
    return _hookspecific.pre_tool_use(verdict, can_ask=SUPPORTS_ASK)
