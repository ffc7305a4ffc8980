"""Reading one hook payload: hostile JSON narrowed to the types a harness module uses.

A payload is whatever the agent's harness wrote on the hook's stdin, shaped by a tool call the
model chose. Every reader here checks the type and size of what it takes and raises UsageError
naming the field (never KeyError, TypeError or a traceback); fields it does not read are
ignored, so a harness that adds fields keeps working.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from gitcoord.core.errors import UsageError
from gitcoord.core.textsafe import printable
from gitcoord.guard.harnesses import apply_patch
from gitcoord.guard.toolcall import OTHER, READ, SESSION_START, SHELL, WRITE, ToolCall

MAX_PATH = 4096  # characters of one path (Linux PATH_MAX)
MAX_PATHS = 1000  # paths one tool call names
MAX_TEXT = 1 << 20  # characters of a command line
MAX_PATCH = 16 << 20  # characters of an apply_patch body (it carries whole new files)
MAX_NAME = 256  # characters of an event name, tool name or session id

# A tool table maps the harness's tool name to (action, the tool_input keys naming its
# path(s) or command, first present wins). DELETE is a WRITE whose paths the tool deletes.
# SEARCH is a READ of the file or directory a content search (grep) looks through: the
# payload's cwd when it names none (the decision core takes a directory read as reaching the
# read-guarded files under it).
DELETE = "delete"
SEARCH = "search"
ToolTable = Mapping[str, tuple[str, tuple[str, ...]]]


_JSON_KINDS = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}


def _kind(value: object) -> str:
    """`value`'s JSON type, for a message: "missing", "an array", "a number"."""
    if value is None:
        return "missing"
    return _JSON_KINDS.get(type(value), "a number")


def _path_problem(item: object) -> str:
    """What is wrong with `item` as a path ("" when nothing)."""
    if not isinstance(item, str):
        return f"holds {_kind(item)}, not a path string"
    if not item:
        return "holds an empty path"
    if len(item) > MAX_PATH or "\x00" in item:
        return "holds a path longer than PATH_MAX or with a NUL byte"
    return ""


class Fields:
    """One JSON object of a payload; `where` names it in messages ("tool_input")."""

    def __init__(self, harness: str, data: object, where: str = "payload") -> None:
        if not isinstance(data, dict):
            raise self._bad(harness, f"{where} is {_kind(data)}, not a JSON object")
        self.harness = harness
        self.data: dict[str, Any] = data
        self.where = where

    @staticmethod
    def _bad(harness: str, what: str) -> UsageError:
        return UsageError(
            f"{harness} hook payload: {what}",
            fix=f"run `gitcoord guard --harness {harness}` only from {harness}'s hooks, "
            f"as `gitcoord hooks install --harness {harness}` writes them",
        )

    def bad(self, key: str, what: str) -> UsageError:
        return self._bad(self.harness, f"{self.where}.{key} {what}")

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def sub(self, key: str) -> Fields:
        """The nested object at `key` (required)."""
        return Fields(self.harness, self.data.get(key), f"{self.where}.{key}")

    def text(self, key: str, *, limit: int = MAX_TEXT, required: bool = False) -> str:
        """The string at `key`; "" when absent and not `required`."""
        value = self.data.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            raise self.bad(key, f"is {_kind(value)}, not a string")
        if len(value) > limit:
            raise self.bad(key, f"is longer than {limit} characters")
        return value

    def name(self, key: str, *, required: bool = False) -> str:
        """A short printable string: an event, a tool, a session id."""
        value = self.text(key, limit=MAX_NAME, required=required)
        if printable(value) != value:
            raise self.bad(key, "holds control characters")
        return value

    def first(self, keys: tuple[str, ...]) -> str:
        """The first of `keys` present (required: the tool needs one of them)."""
        for key in keys:
            if self.has(key):
                return key
        raise self._bad(self.harness, f"{self.where} has none of {', '.join(keys)}")

    def paths(self, key: str) -> tuple[str, ...]:
        """One path, or a list of paths, at `key`."""
        value = self.data.get(key)
        items = value if isinstance(value, list) else [value]
        if len(items) > MAX_PATHS:
            raise self.bad(key, f"names more than {MAX_PATHS} paths")
        for item in items:
            problem = _path_problem(item)
            if problem:
                raise self.bad(key, problem)
        return tuple(items)

    def cwd(self, key: str, fallback: str) -> str:
        """The directory at `key` (a list: its first, as Cursor's `workspace_roots`), made
        absolute against `fallback`; `fallback` when absent."""
        value = self.data.get(key)
        if isinstance(value, list) and value:
            value = value[0]
        elif value is None or value in ("", []):
            return fallback
        problem = _path_problem(value)
        if problem or not isinstance(value, str):
            raise self.bad(key, problem)
        return os.path.normpath(os.path.join(fallback, value))


def envelope(p: Fields, fallback_cwd: str) -> tuple[str, str, str]:
    """The event, directory and session of a payload in the envelope Claude Code defined
    and Codex CLI and Gemini CLI keep: `hook_event_name`, `cwd`, `session_id`."""
    return (
        p.name("hook_event_name", required=True),
        p.cwd("cwd", fallback_cwd),
        p.name("session_id"),
    )


def not_a_tool(event: str, cwd: str, session: str, start: str = "SessionStart") -> ToolCall:
    """The call of an event that is no tool call: the session start, or OTHER."""
    return ToolCall(SESSION_START if event == start else OTHER, event, cwd, session=session)


def tool_call(args: Fields, tool: str, table: ToolTable, cwd: str, session: str) -> ToolCall:
    """The ToolCall of `tool` called with `args`, by the harness's `table`; OTHER for a tool
    the table does not name."""
    entry = table.get(tool)
    if entry is None:
        return ToolCall(OTHER, tool, cwd, session=session)
    action, keys = entry
    if action == SEARCH:
        searched = next((k for k in keys if args.has(k)), None)
        where = args.paths(searched) if searched else (cwd,)
        return ToolCall(READ, tool, cwd, paths=where, session=session)
    key = args.first(keys)
    if action == SHELL:
        return ToolCall(SHELL, tool, cwd, command=args.text(key), session=session)
    named = args.paths(key)
    if action == DELETE:
        return ToolCall(WRITE, tool, cwd, paths=named, session=session, deletes=named)
    return ToolCall(action, tool, cwd, paths=named, session=session)


def patch_call(args: Fields, key: str, tool: str, cwd: str, session: str) -> ToolCall:
    """The WRITE of the apply_patch body at `args[key]`."""
    return patch_text_call(
        args, key, args.text(key, limit=MAX_PATCH, required=True), tool, cwd, session
    )


def patch_text_call(
    args: Fields, key: str, text: str, tool: str, cwd: str, session: str
) -> ToolCall:
    """The WRITE of apply_patch body `text` (from `args[key]`): every file it names, and
    those it deletes or moves away as `deletes`."""
    try:
        targets = apply_patch.parse(text, MAX_PATHS)
    except apply_patch.PatchError as exc:
        raise args.bad(key, f"is not an apply_patch body: the patch {exc}") from None
    for path in targets.paths():
        problem = _path_problem(path)
        if problem:
            raise args.bad(key, f"(an apply_patch body) {problem}")
    return ToolCall(
        WRITE, tool, cwd, paths=targets.paths(), session=session, deletes=targets.removed()
    )
