"""One changed path of a commit, a push or the index, as git's name-status reports it."""

from __future__ import annotations

from typing import NamedTuple


class Change(NamedTuple):
    status: str
    path: str
    old_path: str | None = None

    @property
    def touched(self) -> tuple[str, ...]:
        if self.status == "R" and self.old_path:
            return (self.old_path, self.path)
        return (self.path,)


class CommitPaths(NamedTuple):
    """A commit (as git log reads it: hostile text until shown through textsafe) and the
    paths it changes."""

    oid: str
    subject: str
    paths: tuple[str, ...]
