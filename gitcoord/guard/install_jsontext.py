"""Editing JSON as text: add or remove array elements and object members in place.

Everything outside an edit keeps its bytes (layout, compact arrays, escapes, the final
newline), so taking out what was put in restores the file exactly. New values are written
in the indentation of their siblings (compactly beside siblings on one line), or of the
file (`unit`) in an empty container. The text must already be valid JSON (json.loads).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NamedTuple

_DECODER = json.JSONDecoder()
_SPACE = " \t\n\r"


class Node(NamedTuple):
    start: int
    end: int  # the value's text is text[start:end]
    kind: str  # "object" | "array" | "scalar"
    items: tuple[Item, ...] = ()


class Item(NamedTuple):
    """An array element (key None) or an object member, whose text starts at `start`."""

    key: str | None
    start: int
    value: Node


class Edit(NamedTuple):
    start: int
    end: int
    text: str


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in _SPACE:
        i += 1
    return i


def scan(text: str, i: int = 0) -> Node:
    """The value at `i` (after whitespace) with the spans of everything inside it."""
    i = _skip(text, i)
    if text[i] not in "{[":
        return Node(i, _DECODER.raw_decode(text, i)[1], "scalar")
    start, close, items = i, "}" if text[i] == "{" else "]", []
    i = _skip(text, i + 1)
    while text[i] != close:
        key, at = None, i
        if close == "}":
            key, i = _DECODER.raw_decode(text, i)
            i = _skip(text, _skip(text, i) + 1)  # past the colon
        value = scan(text, i)
        items.append(Item(key, at, value))
        i = _skip(text, value.end)
        if text[i] == ",":
            i = _skip(text, i + 1)
    kind = "object" if close == "}" else "array"
    return Node(start, i + 1, kind, tuple(items))


def member(node: Node, key: str) -> Node | None:
    """The value of `key` in an object node (the last, as json.loads reads duplicates)."""
    found = [item.value for item in node.items if item.key == key]
    return found[-1] if node.kind == "object" and found else None


def value(text: str, node: Node) -> Any:
    return json.loads(text[node.start : node.end])


def remove(node: Node, indices: set[int]) -> list[Edit]:
    """Remove the container's items at `indices`, with the separators they brought."""
    items = node.items
    if not indices:
        return []
    if len(indices) == len(items):
        return [Edit(node.start + 1, node.end - 1, "")]
    edits, i = [], 0
    while i < len(items):
        if i not in indices:
            i += 1
            continue
        j = i
        while j + 1 in indices:
            j += 1
        if i > 0:  # from the end of the item before: its comma goes with the run
            edits.append(Edit(items[i - 1].value.end, items[j].value.end, ""))
        else:  # the first ones: up to the next item
            edits.append(Edit(items[i].start, items[j + 1].start, ""))
        i = j + 1
    return edits


def append(text: str, node: Node, new: Sequence[tuple[str | None, Any]], unit: str) -> list[Edit]:
    """Add `new` items ((key, value); key None in an array) at the end of the container."""
    if not new:
        return []
    if not node.items:
        outer = _indent(text, node.start)
        inner = outer + unit
        body = (",\n" + inner).join(_render(k, v, inner, unit) for k, v in new)
        return [Edit(node.start + 1, node.end - 1, f"\n{inner}{body}\n{outer}")]
    last = node.items[-1]
    if "\n" not in text[node.start : last.start]:  # siblings on one line: stay compact
        return [Edit(last.value.end, last.value.end, "".join(", " + _render(k, v) for k, v in new))]
    inner = _indent(text, last.start)
    rendered = "".join(",\n" + inner + _render(k, v, inner, unit) for k, v in new)
    return [Edit(last.value.end, last.value.end, rendered)]


def apply(text: str, edits: list[Edit]) -> str:
    """`text` with non-overlapping `edits` made."""
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        text = text[: edit.start] + edit.text + text[edit.end :]
    return text


def unit_of(text: str) -> str:
    """The file's indentation step: the first indented line's, else two spaces."""
    for line in text.splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped and stripped != line:
            return line[: len(line) - len(stripped)]
    return "  "


def _indent(text: str, pos: int) -> str:
    line = text[text.rfind("\n", 0, pos) + 1 : pos]
    return line[: len(line) - len(line.lstrip(" \t"))]


def _render(key: str | None, val: Any, inner: str | None = None, unit: str = "") -> str:
    if inner is None:
        body = json.dumps(val, ensure_ascii=False)
    else:
        body = json.dumps(val, indent=unit, ensure_ascii=False).replace("\n", "\n" + inner)
    return body if key is None else json.dumps(key, ensure_ascii=False) + ": " + body
