"""Claim modes and their compatibility table (brief §3)."""

from __future__ import annotations

from enum import StrEnum


class Mode(StrEnum):
    WRITE = "write"
    READ = "read"
    INTENT = "intent"

    @property
    def exclusive(self) -> bool:
        return self is Mode.WRITE


def compatible(held: Mode, requested: Mode) -> bool:
    """read and intent share with each other; write shares with nothing."""
    return not (held.exclusive or requested.exclusive)


def parse_mode(text: str) -> Mode:
    from gitcoord.core.errors import UsageError

    try:
        return Mode(text.lower())
    except ValueError:
        raise UsageError(f"invalid mode {text!r}: expected write, read or intent") from None
