"""Gemini CLI: `BeforeTool` and `SessionStart` hooks.

Doc: https://geminicli.com/docs/hooks/reference (source: google-gemini/gemini-cli
docs/hooks/reference.md); tool parameters from packages/core/src/tools/definitions
(base-declarations.ts) and docs/reference/tools.md ("Tool argument keys").

Input (stdin): `session_id`, `cwd`, `hook_event_name`, and for BeforeTool `tool_name` and
`tool_input`: write_file and replace `file_path`, read_file `file_path`, read_many_files
`include` (a list of paths or globs), grep_search (legacy alias search_file_content)
`dir_path` (earlier `path`; absent: the cwd), run_shell_command `command` and optional
`dir_path` (the directory it runs in, relative to `cwd`; `directory` before Gemini CLI
renamed its parameters in Nov 2025). Paths may be relative to `cwd`. A grep_search reads the
contents of the directory it searches, so it is a READ of it; glob and list_directory match
only names and stay unguarded.

Reply: `{"decision": "deny", "reason": ...}` on stdout, exit 0 (the reason goes to the agent
as the tool's error). BeforeTool has no field that reaches the agent on an allowed call, so a
note goes to the user as `systemMessage`. SessionStart's context is
`hookSpecificOutput.additionalContext`. The documented decisions are allow and deny: an
"ask" is newer than the doc and an older CLI would run the tool, so SUPPORTS_ASK is False.

SESSION_ENV is False: a Gemini CLI hook has no way to set the environment of the agent's
later shell commands, so their `git claim` and `git commit` run in the working tree's own
session, not the payload's `session_id`.
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
from gitcoord.guard.harnesses._reply import json_out, reason
from gitcoord.guard.toolcall import (
    ALLOW,
    READ,
    SESSION_START,
    SHELL,
    WRITE,
    Reply,
    ToolCall,
    Verdict,
)

NAME = "gemini"
SUPPORTS_ASK = False
SESSION_ENV = False
SHELL_TOOL = "run_shell_command"

TOOLS: ToolTable = {
    "write_file": (WRITE, ("file_path",)),
    "replace": (WRITE, ("file_path",)),
    "read_file": (READ, ("file_path", "absolute_path")),
    "read_many_files": (READ, ("include", "paths")),
    "grep_search": (SEARCH, ("dir_path", "path")),
    "search_file_content": (SEARCH, ("dir_path", "path")),
    SHELL_TOOL: (SHELL, ("command",)),
}


def parse(payload: dict[str, Any], fallback_cwd: str) -> ToolCall:
    p = Fields(NAME, payload)
    event, cwd, session = envelope(p, fallback_cwd)
    if event != "BeforeTool":
        return not_a_tool(event, cwd, session)
    tool = p.name("tool_name", required=True)
    args = p.sub("tool_input")
    if tool == SHELL_TOOL:
        cwd = args.cwd("dir_path" if args.has("dir_path") else "directory", cwd)
    return tool_call(args, tool, TOOLS, cwd, session)


def reply(call: ToolCall, verdict: Verdict) -> Reply:
    if call.action == SESSION_START:
        return _hookspecific.session_start(verdict)
    if verdict.decision == ALLOW:
        return json_out({"systemMessage": verdict.message}) if verdict.message else Reply(0)
    return json_out({"decision": "deny", "reason": reason(verdict, can_ask=SUPPORTS_ASK)})
