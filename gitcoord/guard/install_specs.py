"""Where each agent harness reads its project hooks, and the entries gitcoord adds there.

Every entry runs the same command, `gitcoord guard --harness NAME`: `gitcoord` must be on the
agent's PATH. Without it the harness reports a failed hook (the edit-time layer is off) and
the git hooks, `gitcoord ci` and the server hooks still hold.

The shapes, from each harness's documentation (checked 2026):
- Claude Code, https://code.claude.com/docs/en/hooks : `.claude/settings.json`,
  `hooks.EVENT = [{"matcher": M, "hooks": [{"type": "command", "command": C}]}]`.
- Gemini CLI, https://geminicli.com/docs/hooks/reference : `.gemini/settings.json`, the same
  grouping; a hook also has a `name`; matchers are regular expressions over tool names.
- Cursor, https://cursor.com/docs/hooks : `.cursor/hooks.json`,
  `{"version": 1, "hooks": {EVENT: [{"command": C, "matcher": M}]}}`; `preToolUse`
  matches tool names (Write, Delete, Shell, Read, Grep, ...: guard/harnesses/cursor.py).
- Codex CLI, https://developers.openai.com/codex/hooks : `.codex/hooks.json`, Claude Code's
  grouping; `apply_patch` is the file-edit tool (Edit and Write are its aliases). Codex runs
  a project's hooks once the project is trusted and the hooks reviewed (`/hooks`).
- GitHub Copilot (cloud agent and CLI),
  https://docs.github.com/en/copilot/reference/hooks-reference : `.github/hooks/*.json`,
  `{"version": 1, "hooks": {EVENT: [{"type": "command", "bash": C}]}}`; no matchers.
- Windsurf (Cascade), https://docs.windsurf.com/windsurf/cascade/hooks :
  `.windsurf/hooks.json`, `{"hooks": {EVENT: [{"command": C, "show_output": true}]}}`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from gitcoord.guard.harnesses import HARNESSES

CLAUDE, GEMINI, CURSOR, CODEX, COPILOT, WINDSURF = HARNESSES
ALL = "all"


def guard_command(harness: str) -> str:
    """What every hook entry of `harness` runs (and how gitcoord recognises its entries)."""
    return f"gitcoord guard --harness {harness}"


class HarnessConfig(NamedTuple):
    harness: str
    path: str  # the project config file, relative to the top level, `/`-separated
    grouped: bool  # EVENT: [{"matcher", "hooks": [hook]}] (else EVENT: [hook])
    command_key: str  # the hook's field holding the command
    events: tuple[tuple[str, str | None], ...]  # (event, matcher or None), in order
    skeleton: dict[str, Any]  # the top-level keys of a file gitcoord creates, besides hooks
    fields: dict[str, Any]  # each hook's fields, in order; `command_key`'s value is filled in

    def hook(self) -> dict[str, Any]:
        return {**self.fields, self.command_key: guard_command(self.harness)}

    def entry(self, matcher: str | None) -> dict[str, Any]:
        """One element of an event's list."""
        if not self.grouped:
            return {**self.hook(), **({"matcher": matcher} if matcher else {})}
        return {**({"matcher": matcher} if matcher else {}), "hooks": [self.hook()]}


_COMMAND = {"type": "command", "command": ""}

CONFIGS = {
    CLAUDE: HarnessConfig(
        CLAUDE,
        ".claude/settings.json",
        True,
        "command",
        (
            ("PreToolUse", "Write|Edit|MultiEdit|NotebookEdit"),
            ("PreToolUse", "Read|Grep"),
            ("PreToolUse", "Bash"),
            ("SessionStart", None),
        ),
        {},
        _COMMAND,
    ),
    GEMINI: HarnessConfig(
        GEMINI,
        ".gemini/settings.json",
        True,
        "command",
        (
            ("BeforeTool", "write_file|replace"),
            ("BeforeTool", "read_file|read_many_files|grep_search|search_file_content"),
            ("BeforeTool", "run_shell_command"),
            ("SessionStart", None),
        ),
        {},
        {"name": "gitcoord", **_COMMAND},
    ),
    CURSOR: HarnessConfig(
        CURSOR,
        ".cursor/hooks.json",
        False,
        "command",
        (
            # Cursor's file-writing tools and Grep, as guard/harnesses/cursor.py reads them
            ("preToolUse", "Write|Edit|StrReplace|MultiEdit|EditNotebook|Delete|Grep"),
            ("beforeReadFile", None),
            ("beforeShellExecution", None),
            ("sessionStart", None),
        ),
        {"version": 1},
        {"command": ""},
    ),
    CODEX: HarnessConfig(
        CODEX,
        ".codex/hooks.json",
        True,
        "command",
        (("PreToolUse", "apply_patch"), ("PreToolUse", "Bash"), ("SessionStart", None)),
        {},
        _COMMAND,
    ),
    COPILOT: HarnessConfig(
        COPILOT,
        ".github/hooks/gitcoord.json",
        False,
        "bash",
        (("preToolUse", None), ("sessionStart", None)),
        {"version": 1},
        {"type": "command", "bash": ""},
    ),
    WINDSURF: HarnessConfig(
        WINDSURF,
        ".windsurf/hooks.json",
        False,
        "command",
        (("pre_write_code", None), ("pre_read_code", None), ("pre_run_command", None)),
        {},
        {"command": "", "show_output": True},
    ),
}


class Change(NamedTuple):
    """What install or uninstall does to one file: write `text`, delete it, or neither."""

    path: str  # relative to the top level
    action: str  # "created", "updated", "unchanged", "removed", "kept: why", ...
    text: str | None = None
    delete: bool = False
    parts: frozenset[str] = frozenset()  # install: the parts gitcoord created (install_record)
