"""Which files a Codex `apply_patch` body adds, updates, deletes and moves.

The body (Codex's `tool_input.command` for tool `apply_patch`; Copilot CLI passes the same
freeform text) is Codex's patch format, from codex-rs/apply-patch:

    *** Begin Patch
    *** Add File: <path>          followed by lines starting "+"
    *** Update File: <path>       optionally followed by "*** Move to: <new path>", then
                                  hunks of lines starting "@@", "+", "-" or " "
    *** Delete File: <path>
    *** End Patch

Only the file headers matter here. Every line whose stripped text starts with a header
marker counts, wherever it stands: Codex trims lines before matching markers, and a body that
Codex would reject can only make the answer a superset of what it writes, never miss a file.
"""

from __future__ import annotations

from typing import NamedTuple

BEGIN = "*** Begin Patch"
ADD = "*** Add File:"
UPDATE = "*** Update File:"
DELETE = "*** Delete File:"
MOVE = "*** Move to:"


class PatchTargets(NamedTuple):
    adds: tuple[str, ...] = ()
    updates: tuple[str, ...] = ()
    deletes: tuple[str, ...] = ()
    moves: tuple[tuple[str, str], ...] = ()  # (from, to): an Update File with a Move to

    def paths(self) -> tuple[str, ...]:
        """Every path the patch writes, creates or removes (moves: both ends), in order."""
        named = [*self.adds, *self.updates, *self.deletes, *(to for _, to in self.moves)]
        return tuple(dict.fromkeys(named))

    def removed(self) -> tuple[str, ...]:
        """The paths that no longer exist afterwards: deleted files and moves' sources."""
        return tuple(dict.fromkeys([*self.deletes, *(src for src, _ in self.moves)]))


class PatchError(ValueError):
    """Not an apply_patch body; str() completes "the patch ..."."""


def parse(text: str, max_files: int) -> PatchTargets:
    """The files `text` names; PatchError for a text that is not a patch at all, names an
    empty path, or names more than `max_files` files."""
    adds: list[str] = []
    updates: list[str] = []
    deletes: list[str] = []
    moves: list[tuple[str, str]] = []
    begun = False
    last_update = ""  # the Update File a following Move to renames
    for raw in text.split("\n"):
        line = raw.strip()
        begun = begun or line == BEGIN
        found = _header(line)
        if found is None:
            continue
        marker, path = found
        if marker == MOVE and last_update:
            moves.append((last_update, path))
        elif marker == MOVE:
            raise PatchError(f"has {MOVE} {path!r} after no {UPDATE}")
        else:
            {ADD: adds, UPDATE: updates, DELETE: deletes}[marker].append(path)
        last_update = path if marker == UPDATE else ""
        if len(adds) + len(updates) + len(deletes) + len(moves) > max_files:
            raise PatchError(f"names more than {max_files} files")
    if not begun:
        raise PatchError(f"has no {BEGIN!r} line")
    return PatchTargets(tuple(adds), tuple(updates), tuple(deletes), tuple(moves))


def _header(line: str) -> tuple[str, str] | None:
    for marker in (ADD, UPDATE, DELETE, MOVE):
        if line.startswith(marker):
            path = line[len(marker) :].strip()
            if not path:
                raise PatchError(f"has a {marker} header with no path")
            return marker, path
    return None
