"""Windsurf Cascade: `pre_write_code`, `pre_read_code` and `pre_run_command` hooks.

Doc: https://docs.windsurf.com/windsurf/cascade/hooks

Input (stdin): `agent_action_name` (the event), `trajectory_id` (the Cascade conversation:
the session), `execution_id`, `timestamp` and `tool_info`: pre_write_code and
pre_read_code `file_path` (absolute; for a read, possibly a directory read recursively),
pre_run_command `command_line` and `cwd`. Hooks run in the workspace root unless configured
otherwise, so the hook's own directory is the fallback `cwd`.

Reply: exit 2 with the reason on stderr blocks a pre-hook, and Cascade shows the agent that
stderr; exit 0 lets it run. Nothing else is read from a pre-hook: there is no "ask"
(SUPPORTS_ASK is False) and no channel for a note on an allowed call. Cascade documents no
session-start event, so parse never returns SESSION_START (reply answers one with exit 0).

SESSION_ENV is False: without a session start no hook can set the environment of the agent's
later commands, so their `git claim` and `git commit` run in the working tree's own session.
"""

from __future__ import annotations

from typing import Any

from gitcoord.guard.harnesses._payload import Fields, ToolTable, tool_call
from gitcoord.guard.harnesses._reply import exit_block
from gitcoord.guard.toolcall import (
    ALLOW,
    OTHER,
    READ,
    SESSION_START,
    SHELL,
    WRITE,
    Reply,
    ToolCall,
    Verdict,
)

NAME = "windsurf"
SUPPORTS_ASK = False
SESSION_ENV = False

TOOLS: ToolTable = {
    "pre_write_code": (WRITE, ("file_path",)),
    "pre_read_code": (READ, ("file_path",)),
    "pre_run_command": (SHELL, ("command_line",)),
}


def parse(payload: dict[str, Any], fallback_cwd: str) -> ToolCall:
    p = Fields(NAME, payload)
    event = p.name("agent_action_name", required=True)
    session = p.name("trajectory_id")
    if event not in TOOLS:
        return ToolCall(OTHER, event, fallback_cwd, session=session)
    info = p.sub("tool_info")
    return tool_call(info, event, TOOLS, info.cwd("cwd", fallback_cwd), session)


def reply(call: ToolCall, verdict: Verdict) -> Reply:
    if call.action == SESSION_START or verdict.decision == ALLOW:
        return Reply(0)
    return exit_block(verdict, can_ask=SUPPORTS_ASK)
