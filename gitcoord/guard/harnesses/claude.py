"""Claude Code: `PreToolUse` and `SessionStart` command hooks.

Doc: https://code.claude.com/docs/en/hooks (PreToolUse input and decision control,
SessionStart; PreToolUse `additionalContext` since Claude Code 2.1.9).

Input (stdin): `session_id`, `cwd`, `hook_event_name`, and for PreToolUse `tool_name` and
`tool_input`: Write/Edit/MultiEdit `file_path`, NotebookEdit `notebook_path`, Read
`file_path`, Grep `path` (the file or directory searched; absent: the cwd), Bash `command`.
File paths are absolute. A Grep reads the contents of what it searches, so it is a READ of
that path; Glob matches only names and stays unguarded.

Reply: JSON on stdout, exit 0 (see _hookspecific): `hookSpecificOutput.permissionDecision`
"deny" or "ask" with `permissionDecisionReason` (shown to Claude on deny, to the user on
ask); an allowed call's note as `additionalContext`; SessionStart's context as
`additionalContext`. Claude Code honours "ask".

SESSION_ENV is True: the SessionStart hook appends to `CLAUDE_ENV_FILE`, which Claude Code
sources before each later Bash command, so the agent's own `git claim` and `git commit` run
in the harness's session.
"""

from __future__ import annotations

from typing import Any

from gitcoord.guard.harnesses import _hookspecific
from gitcoord.guard.harnesses._payload import (
    SEARCH,
    Fields,
    ToolTable,
    envelope,
    not_a_tool,
    tool_call,
)
from gitcoord.guard.toolcall import (
    READ,
    SESSION_START,
    SHELL,
    WRITE,
    Reply,
    ToolCall,
    Verdict,
)

NAME = "claude"
SUPPORTS_ASK = True
SESSION_ENV = True

TOOLS: ToolTable = {
    "Write": (WRITE, ("file_path",)),
    "Edit": (WRITE, ("file_path",)),
    "MultiEdit": (WRITE, ("file_path",)),
    "NotebookEdit": (WRITE, ("notebook_path",)),
    "Read": (READ, ("file_path",)),
    "Grep": (SEARCH, ("path",)),
    "Bash": (SHELL, ("command",)),
}


def parse(payload: dict[str, Any], fallback_cwd: str) -> ToolCall:
    p = Fields(NAME, payload)
    event, cwd, session = envelope(p, fallback_cwd)
    if event != "PreToolUse":
        return not_a_tool(event, cwd, session)
    return tool_call(p.sub("tool_input"), p.name("tool_name", required=True), TOOLS, cwd, session)


def reply(call: ToolCall, verdict: Verdict) -> Reply:
    if call.action == SESSION_START:
        return _hookspecific.session_start(verdict)
    return _hookspecific.pre_tool_use(verdict, can_ask=SUPPORTS_ASK)
