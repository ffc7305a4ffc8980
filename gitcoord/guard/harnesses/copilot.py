"""GitHub Copilot (cloud agent and Copilot CLI): `preToolUse` and `sessionStart` hooks in
.github/hooks/*.json.

Doc: https://docs.github.com/en/copilot/reference/hooks-reference (github/docs
content/copilot/reference/hooks-reference.md; before it, reference/hooks-configuration).

Input (stdin), camelCase events as gitcoord installs them, which name no event: preToolUse
is `{sessionId, timestamp, cwd, toolName, toolArgs}`, sessionStart `{sessionId, timestamp,
cwd, source, initialPrompt}` (older versions send no `sessionId`). `toolArgs` is a JSON
string in the older documentation and an object in the newer, and apply_patch's is the raw
patch text (a freeform tool; `{"input": ...}` in the function-call form). Tools: bash and
powershell `command`; create and edit `path`; view `path`; str_replace_editor `command`
(view reads `path`; create, str_replace, insert and undo_edit write it); grep and rg `path`
(the file or directory searched, a READ of it; absent: the cwd); apply_patch a patch body;
glob matches only names and stays unguarded. The VS Code compatible form (PascalCase
events: `hook_event_name`, `session_id`, `tool_name` with Claude's names Bash, Read, Write,
Edit (edit, str_replace_editor and apply_patch) and Grep (grep, rg), `tool_input`) is read
too.

Reply: `{"permissionDecision": "deny", "permissionDecisionReason": ...}` on stdout, exit 0.
The current CLI honours "ask" (the cloud agent treats it as deny), but the earlier
documentation says only "deny" is processed, so an older CLI would run an "ask"ed tool:
SUPPORTS_ASK is False. preToolUse has no field for a note on an allowed call: none is sent.
sessionStart's context is `{"additionalContext": ...}` (older versions ignore it).

SESSION_ENV is False: a Copilot hook cannot set the environment of the agent's later shell
commands (a hook entry's `env` is the hook's own), so their `git claim` and `git commit` run
in the working tree's own session, not the payload's `sessionId`.
"""

from __future__ import annotations

from typing import Any

from gitcoord.core.textsafe import loads_bounded
from gitcoord.guard.harnesses._payload import (
    MAX_NAME,
    MAX_PATCH,
    SEARCH,
    Fields,
    ToolTable,
    patch_call,
    patch_text_call,
    tool_call,
)
from gitcoord.guard.harnesses._reply import json_out, reason, session_context
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

NAME = "copilot"
SUPPORTS_ASK = False
SESSION_ENV = False
MAX_DEPTH = 16  # nesting of a JSON-string toolArgs
PATCH_TOOL = "apply_patch"
PATCH_KEYS = ("input", "patch")
_PATH = ("path", "file_path")
EDITOR_TOOL = "str_replace_editor"  # `command` says what it does to `path`
VIEW = "view"

TOOLS: ToolTable = {
    "bash": (SHELL, ("command",)),
    "powershell": (SHELL, ("command",)),
    "create": (WRITE, _PATH),
    "edit": (WRITE, _PATH),
    "view": (READ, _PATH),
    EDITOR_TOOL: (WRITE, _PATH),  # its view command reads: see parse
    "grep": (SEARCH, _PATH),
    "rg": (SEARCH, _PATH),
    "Bash": (SHELL, ("command",)),
    "Write": (WRITE, _PATH),
    "Edit": (WRITE, _PATH),
    "Read": (READ, _PATH),
    "Grep": (SEARCH, _PATH),
}


def parse(payload: dict[str, Any], fallback_cwd: str) -> ToolCall:
    p = Fields(NAME, payload)
    cwd = p.cwd("cwd", fallback_cwd)
    session = p.name("sessionId") or p.name("session_id")
    event = p.name("hook_event_name") or _camel_event(p)
    if event in ("sessionStart", "SessionStart"):
        return ToolCall(SESSION_START, event, cwd, session=session)
    if event not in ("preToolUse", "PreToolUse"):
        return ToolCall(OTHER, event, cwd, session=session)
    pascal = event == "PreToolUse"
    tool_key, args_key = ("tool_name", "tool_input") if pascal else ("toolName", "toolArgs")
    tool = p.name(tool_key, required=True)
    if isinstance(p.data.get(args_key), str):
        text = p.text(args_key, limit=MAX_PATCH)
        if tool in (PATCH_TOOL, "Edit") and not text.lstrip().startswith("{"):
            return patch_text_call(p, args_key, text, tool, cwd, session)
        args = _decoded(p, args_key, text)
    else:
        args = p.sub(args_key)
    # The PascalCase form calls apply_patch "Edit": an Edit without a path is a patch.
    if tool == PATCH_TOOL or (tool == "Edit" and not any(args.has(key) for key in _PATH)):
        return patch_call(args, args.first(PATCH_KEYS), tool, cwd, session)
    if tool in (EDITOR_TOOL, "Edit") and args.text("command", limit=MAX_NAME) == VIEW:
        return tool_call(args, tool, {tool: (READ, _PATH)}, cwd, session)
    return tool_call(args, tool, TOOLS, cwd, session)


def _camel_event(p: Fields) -> str:
    """The camelCase event a payload is, from its fields (such a payload names none)."""
    if p.has("toolName"):
        return "postToolUse" if p.has("toolResult") else "preToolUse"
    return "sessionStart" if p.has("source") else ""


def _decoded(p: Fields, key: str, text: str) -> Fields:
    try:
        data = loads_bounded(text, MAX_DEPTH)
    except ValueError as exc:  # JSONDecodeError, TooDeep, Refused
        raise p.bad(key, f"is a string that is not a JSON object: {exc}") from None
    return Fields(NAME, data, f"payload.{key}")


def reply(call: ToolCall, verdict: Verdict) -> Reply:
    if call.action == SESSION_START:
        text = session_context(verdict)
        return json_out({"additionalContext": text}) if text else Reply(0)
    if verdict.decision == ALLOW:
        return Reply(0)
    return json_out(
        {
            "permissionDecision": "deny",
            "permissionDecisionReason": reason(verdict, can_ask=SUPPORTS_ASK),
        }
    )
