"""Cursor: `preToolUse`, `beforeReadFile`, `beforeShellExecution` and `sessionStart` hooks.

Doc: https://cursor.com/docs/hooks (earlier https://cursor.com/docs/agent/hooks).

Input (stdin): the common `conversation_id` (stable across the conversation: the session),
`hook_event_name` and `workspace_roots`; preToolUse adds `tool_name`, `tool_input`
(`file_path` for the file tools, `command` for Shell, `path` for Grep: the file or directory
searched, a READ of it, the cwd when absent) and `cwd`; beforeReadFile `file_path`
(absolute); beforeShellExecution `command` and `cwd`. Without a `cwd` the first workspace
root is the directory. The doc names the preToolUse tools (Shell, Read, Write, Grep, Delete,
Task, MCP:...) but not Grep's input keys: `path` is the ripgrep-style key Cursor's agent
uses.

Reply: JSON on stdout, exit 0. preToolUse and beforeShellExecution take
`{"permission", "user_message", "agent_message"}`. beforeShellExecution honours "ask";
preToolUse accepts it but, as its doc says, does not enforce it, and beforeReadFile takes
allow or deny only: an ASK there is refused, saying a human must approve. Every call gets a
permission (an allowed one `{"permission": "allow"}`, with a note as `agent_message`):
Cursor treats an empty answer as no valid response, and beforeReadFile fails closed.
sessionStart takes `{"additional_context": ...}`.

SESSION_ENV is False: sessionStart's `env` output reaches only later hook executions, not
the agent's shell commands, so their `git claim` and `git commit` run in the working tree's
own session, not the payload's `conversation_id`.
"""

from __future__ import annotations

from typing import Any

from gitcoord.guard.harnesses._payload import (
    DELETE,
    SEARCH,
    Fields,
    ToolTable,
    not_a_tool,
    tool_call,
)
from gitcoord.guard.harnesses._reply import json_out, reason, session_context
from gitcoord.guard.toolcall import (
    ALLOW,
    ASK,
    DENY,
    READ,
    SESSION_START,
    SHELL,
    WRITE,
    Reply,
    ToolCall,
    Verdict,
)

NAME = "cursor"
SUPPORTS_ASK = True  # on beforeShellExecution only
SESSION_ENV = False
READ_EVENT = "beforeReadFile"
SHELL_EVENT = "beforeShellExecution"  # the tool of its ToolCall: the one that can ask

_FILE = ("file_path", "path", "target_file")
TOOLS: ToolTable = {
    "Write": (WRITE, _FILE),
    "Edit": (WRITE, _FILE),
    "StrReplace": (WRITE, _FILE),
    "MultiEdit": (WRITE, _FILE),
    "EditNotebook": (WRITE, _FILE),
    "Delete": (DELETE, _FILE),
    "Read": (READ, _FILE),
    "Grep": (SEARCH, ("path",)),
    "Shell": (SHELL, ("command",)),
    READ_EVENT: (READ, ("file_path",)),
    SHELL_EVENT: (SHELL, ("command",)),
}


def parse(payload: dict[str, Any], fallback_cwd: str) -> ToolCall:
    p = Fields(NAME, payload)
    event = p.name("hook_event_name", required=True)
    cwd = p.cwd("cwd", p.cwd("workspace_roots", fallback_cwd))
    session = p.name("conversation_id") or p.name("session_id")
    if event in (READ_EVENT, SHELL_EVENT):
        return tool_call(p, event, TOOLS, cwd, session)
    if event != "preToolUse":
        return not_a_tool(event, cwd, session, start="sessionStart")
    return tool_call(p.sub("tool_input"), p.name("tool_name", required=True), TOOLS, cwd, session)


def reply(call: ToolCall, verdict: Verdict) -> Reply:
    if call.action == SESSION_START:
        text = session_context(verdict)
        return json_out({"additional_context": text} if text else {})
    if verdict.decision == ALLOW:
        note = {"agent_message": verdict.message} if verdict.message else {}
        return json_out({"permission": ALLOW, **note})
    can_ask = SUPPORTS_ASK and call.tool == SHELL_EVENT
    decision = ASK if verdict.decision == ASK and can_ask else DENY
    message = reason(verdict, can_ask=can_ask)
    return json_out({"permission": decision, "user_message": message, "agent_message": message})
