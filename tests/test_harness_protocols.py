"""The six harness hook protocols (gitcoord/guard/harnesses/), as pure functions.

Recorded payloads (tests/payloads/<harness>/*.json, shaped as each harness's documentation
shows; the doc each module follows is in its docstring) must parse into the ToolCall the
decision core sees, and each kind of Verdict must become the exact reply the harness reads:
exit status, stdout JSON, stderr. Hostile payloads are usage errors naming the field, never
a traceback. The same payloads run through the installed configs in the end-to-end tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gitcoord.core.errors import UsageError
from gitcoord.guard.harnesses import HARNESSES, apply_patch, harness
from gitcoord.guard.harnesses._reply import HUMAN_MUST_APPROVE
from gitcoord.guard.toolcall import (
    OTHER,
    READ,
    SESSION_START,
    SHELL,
    WRITE,
    Reply,
    ToolCall,
    Verdict,
)

PAYLOADS = Path(__file__).parent / "payloads"
P = "/home/dev/project"
ELSEWHERE = "/hook/process/cwd"  # the fallback: used only when a payload names no directory


def load(name: str, fixture: str) -> dict[str, Any]:
    data = json.loads((PAYLOADS / name / f"{fixture}.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


CLAUDE_S, GEMINI_S, CURSOR_S = "3f2a9c1e-claude", "gem-7b1d", "cur-conv-1"
CODEX_S, COPILOT_S, WINDSURF_S = "019a-codex", "cop-5e2", "traj-9c4"
APP, ENV, VENDOR = f"{P}/src/app.py", f"{P}/.env", f"{P}/vendor"

EXPECTED: dict[tuple[str, str], ToolCall] = {
    ("claude", "write"): ToolCall(WRITE, "Write", P, (APP,), session=CLAUDE_S),
    ("claude", "edit"): ToolCall(WRITE, "Edit", P, (APP,), session=CLAUDE_S),
    ("claude", "notebook_edit"): ToolCall(
        WRITE, "NotebookEdit", P, (f"{P}/nb/explore.ipynb",), session=CLAUDE_S
    ),
    ("claude", "read"): ToolCall(READ, "Read", P, (ENV,), session=CLAUDE_S),
    ("claude", "shell_write"): ToolCall(
        SHELL, "Bash", P, command="echo done > src/app.py", session=CLAUDE_S
    ),
    ("claude", "shell_read"): ToolCall(SHELL, "Bash", P, command="cat .env", session=CLAUDE_S),
    ("claude", "session_start"): ToolCall(SESSION_START, "SessionStart", P, session=CLAUDE_S),
    # A content search reads what it searches: a READ of the directory.
    ("claude", "search"): ToolCall(READ, "Grep", P, (VENDOR,), session=CLAUDE_S),
    # Gemini names paths relative to cwd, and a shell command's dir_path relative to it.
    ("gemini", "write"): ToolCall(WRITE, "write_file", P, ("src/app.py",), session=GEMINI_S),
    ("gemini", "edit"): ToolCall(WRITE, "replace", P, (APP,), session=GEMINI_S),
    ("gemini", "read"): ToolCall(READ, "read_file", P, (".env",), session=GEMINI_S),
    ("gemini", "read_many"): ToolCall(
        READ, "read_many_files", P, ("docs/a.md", "secrets/*.key"), session=GEMINI_S
    ),
    ("gemini", "shell_write"): ToolCall(
        SHELL, "run_shell_command", f"{P}/src", command="echo done > app.py", session=GEMINI_S
    ),
    ("gemini", "shell_read"): ToolCall(
        SHELL, "run_shell_command", P, command="cat .env", session=GEMINI_S
    ),
    ("gemini", "session_start"): ToolCall(SESSION_START, "SessionStart", P, session=GEMINI_S),
    ("gemini", "search"): ToolCall(READ, "grep_search", P, ("vendor",), session=GEMINI_S),
    # Before Nov 2025 the shell tool's directory was `directory` (absolute).
    ("gemini", "shell_directory"): ToolCall(
        SHELL, "run_shell_command", f"{P}/src", command="echo done > app.py", session=GEMINI_S
    ),
    ("cursor", "write"): ToolCall(WRITE, "Write", P, (APP,), session=CURSOR_S),
    ("cursor", "edit"): ToolCall(WRITE, "StrReplace", P, (APP,), session=CURSOR_S),
    ("cursor", "delete"): ToolCall(
        WRITE, "Delete", P, (f"{P}/src/old.py",), session=CURSOR_S, deletes=(f"{P}/src/old.py",)
    ),
    # beforeReadFile has no cwd: the workspace root is the directory.
    ("cursor", "read"): ToolCall(READ, "beforeReadFile", P, (ENV,), session=CURSOR_S),
    ("cursor", "read_tool"): ToolCall(READ, "Read", P, (ENV,), session=CURSOR_S),
    ("cursor", "shell_write"): ToolCall(
        SHELL, "beforeShellExecution", P, command="echo done > src/app.py", session=CURSOR_S
    ),
    ("cursor", "shell_read"): ToolCall(
        SHELL, "Shell", f"{P}/src", command="cat .env", session=CURSOR_S
    ),
    ("cursor", "session_start"): ToolCall(SESSION_START, "sessionStart", P, session=CURSOR_S),
    ("cursor", "search"): ToolCall(READ, "Grep", P, (VENDOR,), session=CURSOR_S),
    # Codex's apply_patch names its files in the patch body, relative to cwd.
    ("codex", "write"): ToolCall(WRITE, "apply_patch", P, ("src/new.py",), session=CODEX_S),
    ("codex", "edit"): ToolCall(
        WRITE,
        "apply_patch",
        P,
        ("src/app.py", "src/main.py"),
        session=CODEX_S,
        deletes=("src/app.py",),
    ),
    ("codex", "delete"): ToolCall(
        WRITE, "apply_patch", P, ("src/old.py",), session=CODEX_S, deletes=("src/old.py",)
    ),
    ("codex", "shell_write"): ToolCall(
        SHELL, "Bash", P, command="echo done > src/app.py", session=CODEX_S
    ),
    ("codex", "shell_read"): ToolCall(SHELL, "Bash", P, command="cat .env", session=CODEX_S),
    ("codex", "session_start"): ToolCall(SESSION_START, "SessionStart", P, session=CODEX_S),
    # Copilot's toolArgs: a JSON string, an object, or (apply_patch) the raw patch text.
    ("copilot", "write"): ToolCall(WRITE, "create", P, (f"{P}/src/new.py",), session=COPILOT_S),
    ("copilot", "edit"): ToolCall(WRITE, "edit", P, ("src/app.py",), session=COPILOT_S),
    ("copilot", "delete"): ToolCall(
        WRITE, "apply_patch", P, ("src/old.py",), session=COPILOT_S, deletes=("src/old.py",)
    ),
    ("copilot", "read"): ToolCall(READ, "view", P, (ENV,), session=COPILOT_S),
    ("copilot", "shell_write"): ToolCall(
        SHELL, "bash", P, command="echo done > src/app.py", session=COPILOT_S
    ),
    ("copilot", "shell_read"): ToolCall(SHELL, "bash", P, command="cat .env", session=COPILOT_S),
    ("copilot", "session_start"): ToolCall(SESSION_START, "sessionStart", P, session=COPILOT_S),
    ("copilot", "vscode_write"): ToolCall(WRITE, "Write", P, ("src/new.py",), session=COPILOT_S),
    ("copilot", "search"): ToolCall(READ, "grep", P, ("vendor",), session=COPILOT_S),
    # str_replace_editor's `command` says whether it reads or writes `path`.
    ("copilot", "editor_view"): ToolCall(READ, "str_replace_editor", P, (ENV,), session=COPILOT_S),
    ("copilot", "editor_edit"): ToolCall(WRITE, "str_replace_editor", P, (APP,), session=COPILOT_S),
    # Windsurf sends no cwd with file events: the hook runs in the workspace root.
    ("windsurf", "write"): ToolCall(
        WRITE, "pre_write_code", ELSEWHERE, (f"{P}/src/new.py",), session=WINDSURF_S
    ),
    ("windsurf", "edit"): ToolCall(WRITE, "pre_write_code", ELSEWHERE, (APP,), session=WINDSURF_S),
    ("windsurf", "read"): ToolCall(READ, "pre_read_code", ELSEWHERE, (ENV,), session=WINDSURF_S),
    ("windsurf", "shell_write"): ToolCall(
        SHELL, "pre_run_command", P, command="echo done > src/app.py", session=WINDSURF_S
    ),
    ("windsurf", "shell_read"): ToolCall(
        SHELL, "pre_run_command", f"{P}/src", command="cat .env", session=WINDSURF_S
    ),
}


@pytest.mark.parametrize(("name", "fixture"), sorted(EXPECTED))
def test_recorded_payload_parses(name: str, fixture: str) -> None:
    assert harness(name).parse(load(name, fixture), ELSEWHERE) == EXPECTED[(name, fixture)]


def test_every_recorded_payload_is_checked() -> None:
    recorded = {(path.parent.name, path.stem) for path in PAYLOADS.glob("*/*.json")}
    assert recorded == set(EXPECTED)
    assert {name for name, _ in recorded} == set(HARNESSES)


ALLOW = Verdict("allow")
NOTE = Verdict("allow", "docs/ is a warn-tier guarded path: tell the docs owner")
DENY = Verdict(
    "deny", "src/app.py is claimed by alice until 12:00 (fix: git claim wait src/app.py)"
)
ASK = Verdict("ask", "deploy/ needs a human's approval")
SESSION = Verdict("allow", context="You are bob (role dev); rules at 1a2b3c; alice holds src/")
ASKED = f"{HUMAN_MUST_APPROVE} {ASK.message}"  # an ask where the harness cannot ask


def _pre(event: str, **fields: str) -> dict[str, Any]:
    return {"hookSpecificOutput": {"hookEventName": event, **fields}}


def _cursor(permission: str, message: str) -> dict[str, str]:
    return {"permission": permission, "user_message": message, "agent_message": message}


# harness -> verdict kind -> (exit status, stdout JSON or None for no stdout, stderr)
NOTHING = (0, None, "")
REPLIES: dict[str, dict[str, tuple[int, Any, str]]] = {
    "claude": {
        "allow": NOTHING,
        "note": (0, _pre("PreToolUse", additionalContext=NOTE.message), ""),
        "deny": (
            0,
            _pre("PreToolUse", permissionDecision="deny", permissionDecisionReason=DENY.message),
            "",
        ),
        "ask": (
            0,
            _pre("PreToolUse", permissionDecision="ask", permissionDecisionReason=ASK.message),
            "",
        ),
        "session": (0, _pre("SessionStart", additionalContext=SESSION.context), ""),
    },
    "codex": {
        "allow": NOTHING,
        "note": (0, _pre("PreToolUse", additionalContext=NOTE.message), ""),
        "deny": (
            0,
            _pre("PreToolUse", permissionDecision="deny", permissionDecisionReason=DENY.message),
            "",
        ),
        "ask": (
            0,
            _pre("PreToolUse", permissionDecision="deny", permissionDecisionReason=ASKED),
            "",
        ),
        "session": (0, _pre("SessionStart", additionalContext=SESSION.context), ""),
    },
    "gemini": {
        "allow": NOTHING,
        "note": (0, {"systemMessage": NOTE.message}, ""),
        "deny": (0, {"decision": "deny", "reason": DENY.message}, ""),
        "ask": (0, {"decision": "deny", "reason": ASKED}, ""),
        "session": (0, _pre("SessionStart", additionalContext=SESSION.context), ""),
    },
    "cursor": {
        "allow": (0, {"permission": "allow"}, ""),
        "note": (0, {"permission": "allow", "agent_message": NOTE.message}, ""),
        "deny": (0, _cursor("deny", DENY.message), ""),
        "ask": (0, _cursor("deny", ASKED), ""),  # preToolUse does not enforce "ask"
        "session": (0, {"additional_context": SESSION.context}, ""),
    },
    "copilot": {
        "allow": NOTHING,
        "note": NOTHING,  # preToolUse has no field for a note on an allowed call
        "deny": (0, {"permissionDecision": "deny", "permissionDecisionReason": DENY.message}, ""),
        "ask": (0, {"permissionDecision": "deny", "permissionDecisionReason": ASKED}, ""),
        "session": (0, {"additionalContext": SESSION.context}, ""),
    },
    "windsurf": {
        "allow": NOTHING,
        "note": NOTHING,  # a pre-hook's output reaches the agent only when it blocks
        "deny": (2, None, DENY.message + "\n"),
        "ask": (2, None, ASKED + "\n"),
        "session": NOTHING,  # Cascade has no session-start event
    },
}
VERDICTS = {"allow": ALLOW, "note": NOTE, "deny": DENY, "ask": ASK, "session": SESSION}


def observed(reply: Reply) -> tuple[int, Any, str]:
    """The reply as the harness reads it; stdout, when any, is one JSON document and a
    newline."""
    if not reply.stdout:
        return reply.exit_code, None, reply.stderr
    assert reply.stdout.endswith("\n") and reply.stdout.count("\n") == 1
    return reply.exit_code, json.loads(reply.stdout), reply.stderr


@pytest.mark.parametrize("name", HARNESSES)
@pytest.mark.parametrize("kind", sorted(VERDICTS))
def test_reply_protocol(name: str, kind: str) -> None:
    module = harness(name)
    fixture = "session_start" if kind == "session" and name != "windsurf" else "write"
    call = module.parse(load(name, fixture), ELSEWHERE)
    if kind == "session" and name == "windsurf":
        call = call._replace(action=SESSION_START)  # never parsed, still answered harmlessly
    assert observed(module.reply(call, VERDICTS[kind])) == REPLIES[name][kind]


def test_support_for_ask_matches_the_replies() -> None:
    """SUPPORTS_ASK is True exactly where an ask (here of a shell command) is answered as an
    ask, not a refusal."""
    for name in HARNESSES:
        module = harness(name)
        assert name == module.NAME
        reply = module.reply(module.parse(load(name, "shell_write"), ELSEWHERE), ASK)
        assert (HUMAN_MUST_APPROVE not in reply.stdout + reply.stderr) == module.SUPPORTS_ASK
    assert [name for name in HARNESSES if harness(name).SUPPORTS_ASK] == ["claude", "cursor"]


def test_cursor_asks_only_before_a_shell_command() -> None:
    """beforeReadFile answers allow or deny only, and preToolUse takes an "ask" without
    enforcing it (cursor.com/docs/hooks): an ask there is a refusal."""
    cursor = harness("cursor")
    for fixture in ("read", "read_tool", "write", "search"):
        call = cursor.parse(load("cursor", fixture), ELSEWHERE)
        assert observed(cursor.reply(call, ASK)) == (0, _cursor("deny", ASKED), ""), fixture
    shell = cursor.parse(load("cursor", "shell_write"), ELSEWHERE)
    assert observed(cursor.reply(shell, ASK)) == (0, _cursor("ask", ASK.message), "")


def test_only_claude_code_gives_the_agents_shell_commands_the_session() -> None:
    """SESSION_ENV: where the session-start hook can set the agent's later shell
    environment (Claude Code's CLAUDE_ENV_FILE); elsewhere the agent's own git commands run
    in the working tree's session."""
    assert all(isinstance(harness(name).SESSION_ENV, bool) for name in HARNESSES)
    assert [name for name in HARNESSES if harness(name).SESSION_ENV] == ["claude"]


# (harness, fixture, the field naming the searched path): without it, the cwd is searched.
SEARCHES = [
    ("claude", "search", ("tool_input", "path")),
    ("gemini", "search", ("tool_input", "dir_path")),
    ("cursor", "search", ("tool_input", "path")),
]


@pytest.mark.parametrize(("name", "fixture", "field"), SEARCHES)
def test_a_search_naming_no_path_reads_the_cwd(
    name: str, fixture: str, field: tuple[str, ...]
) -> None:
    payload = load(name, fixture)
    del payload[field[0]][field[1]]
    call = harness(name).parse(payload, ELSEWHERE)
    assert (call.action, call.paths, call.cwd) == (READ, (P,), P)


def test_copilot_searches_and_editor_commands() -> None:
    copilot = harness("copilot")
    for tool in ("grep", "rg"):
        args = {"pattern": "KEY"}
        call = copilot.parse(_with(load("copilot", "search"), "toolName", value=tool), ELSEWHERE)
        assert (call.action, call.paths) == (READ, ("vendor",))
        bare = _with(
            _with(load("copilot", "search"), "toolName", value=tool), "toolArgs", value=args
        )
        assert copilot.parse(bare, ELSEWHERE).paths == (P,)
    for command in ("create", "insert", "undo_edit", "str_replace"):
        edit = _with(load("copilot", "editor_edit"), "toolArgs", "command", value=command)
        assert copilot.parse(edit, ELSEWHERE) == EXPECTED[("copilot", "editor_edit")]
    # The VS Code form names them with Claude's names: Grep, and Edit for the editor.
    pascal = {"hook_event_name": "PreToolUse", "session_id": COPILOT_S, "cwd": P}
    grep = {**pascal, "tool_name": "Grep", "tool_input": {"pattern": "KEY", "path": "vendor"}}
    assert copilot.parse(grep, ELSEWHERE) == EXPECTED[("copilot", "search")]._replace(tool="Grep")
    view = {**pascal, "tool_name": "Edit", "tool_input": {"command": "view", "path": ENV}}
    assert copilot.parse(view, ELSEWHERE) == ToolCall(READ, "Edit", P, (ENV,), session=COPILOT_S)


def test_gemini_reads_its_legacy_search_name_and_keys() -> None:
    gemini = harness("gemini")
    legacy = _with(load("gemini", "search"), "tool_name", value="search_file_content")
    legacy = _with(legacy, "tool_input", value={"pattern": "KEY", "path": "vendor"})
    expected = EXPECTED[("gemini", "search")]._replace(tool="search_file_content")
    assert gemini.parse(legacy, ELSEWHERE) == expected
    # dir_path wins over the older `directory` when a payload carries both.
    both = _with(load("gemini", "shell_directory"), "tool_input", "dir_path", value="docs")
    assert gemini.parse(both, ELSEWHERE).cwd == f"{P}/docs"


@pytest.mark.parametrize("name", ["claude", "codex", "gemini", "cursor", "copilot", "windsurf"])
def test_a_refusal_without_a_reason_still_gives_one(name: str) -> None:
    """Codex ignores a deny without a non-empty reason; no harness gets an empty one."""
    reply = harness(name).reply(ToolCall(WRITE, "x", P), Verdict("deny"))
    assert reply.exit_code in (0, 2)
    assert "gitcoord refused" in reply.stdout + reply.stderr


def _with(payload: dict[str, Any], *path: str, value: Any) -> dict[str, Any]:
    """A copy of `payload` with the field at `path` set to `value`."""
    copy: dict[str, Any] = json.loads(json.dumps(payload))
    node = copy
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return copy


HOSTILE = [
    # (harness, fixture, field path, value, what the message names)
    ("claude", "write", ("tool_input",), "Write /etc/passwd", "is a string, not a JSON object"),
    ("claude", "write", ("tool_input", "file_path"), 7, "tool_input.file_path holds a number"),
    ("claude", "write", ("tool_input", "file_path"), None, "has none of file_path"),
    ("claude", "write", ("tool_input", "file_path"), "a\x00b", "NUL byte"),
    ("claude", "write", ("tool_input", "file_path"), "x" * 5000, "PATH_MAX"),
    ("claude", "write", ("tool_input", "file_path"), "", "empty path"),
    ("claude", "write", ("tool_name",), ["Write"], "tool_name is an array, not a string"),
    ("claude", "write", ("hook_event_name",), None, "hook_event_name is missing"),
    ("claude", "write", ("session_id",), "s\x1b[2J", "session_id holds control characters"),
    ("claude", "write", ("cwd",), {"a": 1}, "cwd holds an object"),
    ("claude", "shell_write", ("tool_input", "command"), "x" * (2 << 20), "longer than"),
    ("gemini", "read_many", ("tool_input", "include"), ["a"] * 1001, "more than 1000 paths"),
    ("gemini", "read_many", ("tool_input", "include"), ["a", 3], "holds a number"),
    ("gemini", "shell_write", ("tool_input", "dir_path"), 5, "dir_path holds a number"),
    ("gemini", "shell_directory", ("tool_input", "directory"), {}, "directory holds an object"),
    ("gemini", "search", ("tool_input", "dir_path"), ["a", ""], "dir_path holds an empty path"),
    ("claude", "search", ("tool_input", "path"), 5, "tool_input.path holds a number"),
    ("copilot", "editor_view", ("toolArgs", "command"), 3, "toolArgs.command is a number"),
    ("cursor", "read", ("file_path",), None, "has none of file_path"),
    ("cursor", "write", ("workspace_roots",), [None], "workspace_roots holds missing"),
    ("codex", "write", ("tool_input", "command"), "*** Add File: x\n", "no '*** Begin Patch'"),
    (
        "codex",
        "edit",
        ("tool_input", "command"),
        "*** Begin Patch\n*** Move to: b\n*** End Patch",
        "after no *** Update File:",
    ),
    (
        "codex",
        "delete",
        ("tool_input", "command"),
        "*** Begin Patch\n*** Delete File:\n",
        "no path",
    ),
    ("codex", "delete", ("tool_input", "command"), None, "tool_input.command is missing"),
    ("copilot", "write", ("toolArgs",), "{not json", "not a JSON object"),
    ("copilot", "write", ("toolArgs",), "[" * 40 + "]" * 40, "nested deeper"),
    ("copilot", "write", ("toolArgs",), "[1, 2]", "toolArgs is an array"),
    ("copilot", "delete", ("toolArgs",), "*** Begin Patch\n*** Add File: a\x00\n", "NUL byte"),
    ("windsurf", "write", ("tool_info",), None, "tool_info is missing"),
    ("windsurf", "shell_read", ("tool_info", "command_line"), ["cat"], "is an array"),
    ("windsurf", "write", ("agent_action_name",), 2, "agent_action_name is a number"),
]


@pytest.mark.parametrize(("name", "fixture", "path", "value", "named"), HOSTILE)
def test_hostile_payload_is_a_usage_error(
    name: str, fixture: str, path: tuple[str, ...], value: Any, named: str
) -> None:
    payload = _with(load(name, fixture), *path, value=value)
    with pytest.raises(UsageError) as raised:
        harness(name).parse(payload, ELSEWHERE)
    assert raised.value.message.startswith(f"{name} hook payload: ")
    assert named in raised.value.message
    assert raised.value.exit_code == 2


@pytest.mark.parametrize("name", HARNESSES)
@pytest.mark.parametrize("payload", [[], "PreToolUse", None, 3])
def test_a_payload_that_is_not_an_object_is_a_usage_error(name: str, payload: Any) -> None:
    with pytest.raises(UsageError, match=r"payload is .*, not a JSON object"):
        harness(name).parse(payload, ELSEWHERE)


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("claude", {"hook_event_name": "PreToolUse", "tool_name": "Glob", "tool_input": {}}),
        ("claude", {"hook_event_name": "PostToolUse", "session_id": "s"}),
        ("gemini", {"hook_event_name": "BeforeTool", "tool_name": "glob", "tool_input": {}}),
        ("cursor", {"hook_event_name": "preToolUse", "tool_name": "Glob", "tool_input": {}}),
        ("cursor", {"hook_event_name": "afterFileEdit", "file_path": "/x"}),
        (
            "codex",
            {"hook_event_name": "PreToolUse", "tool_name": "mcp__fs__write", "tool_input": {}},
        ),
        ("copilot", {"toolName": "glob", "toolArgs": "{}"}),
        ("copilot", {"toolName": "edit", "toolArgs": "{}", "toolResult": {}}),
        ("copilot", {"reason": "complete", "cwd": P}),
        ("windsurf", {"agent_action_name": "post_write_code", "tool_info": {"file_path": "/x"}}),
    ],
)
def test_tools_and_events_gitcoord_does_not_guard_are_other(
    name: str, payload: dict[str, Any]
) -> None:
    call = harness(name).parse(payload, ELSEWHERE)
    assert call.action == OTHER and call.paths == () and call.command == ""


def test_unknown_harness_is_a_usage_error_listing_the_names() -> None:
    with pytest.raises(UsageError) as raised:
        harness("vim")
    assert "vim" in raised.value.message
    assert raised.value.fix is not None
    assert all(name in raised.value.fix for name in HARNESSES)


def test_a_harness_imports_only_its_own_module() -> None:
    """The guard runs on every tool call: loading one harness loads no other."""
    code = (
        "import sys; from gitcoord.guard.harnesses import harness; harness('gemini'); "
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('gitcoord.guard.'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.split())
    assert "gitcoord.guard.harnesses.gemini" in loaded
    others = {f"gitcoord.guard.harnesses.{name}" for name in HARNESSES if name != "gemini"}
    assert loaded.isdisjoint(others)


PATCH = """*** Begin Patch
*** Add File: docs/new.md
+*** Delete File: not/a/header.md
+text
*** Update File: src/a.py
  *** Add File: indented/header.py
@@ class A:
-    x = 1
+    x = 2
*** Update File: src/b.py
*** Move to: src/c.py
@@
-old
+new
*** End of File
*** Delete File: src/gone.py
*** End Patch"""


def test_apply_patch_names_what_it_adds_updates_deletes_and_moves() -> None:
    targets = apply_patch.parse(PATCH, 100)
    assert targets == apply_patch.PatchTargets(
        adds=("docs/new.md", "indented/header.py"),
        updates=("src/a.py", "src/b.py"),
        deletes=("src/gone.py",),
        moves=(("src/b.py", "src/c.py"),),
    )
    assert targets.paths() == (
        "docs/new.md",
        "indented/header.py",
        "src/a.py",
        "src/b.py",
        "src/gone.py",
        "src/c.py",
    )
    assert targets.removed() == ("src/gone.py", "src/b.py")


def test_apply_patch_reads_crlf_and_a_heredoc_wrapper() -> None:
    wrapped = "apply_patch <<'EOF'\r\n" + PATCH.replace("\n", "\r\n") + "\r\nEOF\r\n"
    assert apply_patch.parse(wrapped, 100) == apply_patch.parse(PATCH, 100)


def test_apply_patch_bounds_the_files_it_names() -> None:
    many = "*** Begin Patch\n" + "".join(f"*** Delete File: f{i}\n" for i in range(11))
    with pytest.raises(apply_patch.PatchError, match="more than 10 files"):
        apply_patch.parse(many, 10)
    assert len(apply_patch.parse(many, 11).deletes) == 11
