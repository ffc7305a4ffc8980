"""Reading gitcoord.toml's values: a reader that names the key and line of a bad value, and
one converter per kind of value."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from gitcoord.core.durations import parse_duration
from gitcoord.core.errors import ConfigError, UsageError

T = TypeVar("T")


class Reader:
    """Validates one parsed TOML document, knowing its text so errors can give line numbers."""

    def __init__(self, text: str, source: str) -> None:
        self.lines = text.splitlines()
        self.source = source

    def line_of(self, table: str, key: str | None) -> int | None:
        header = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
        current = ""
        for number, line in enumerate(self.lines, 1):
            m = header.match(line)
            if m:
                current = m.group(1).replace('"', "").replace(" ", "")
                if key is None and current == table:
                    return number
                continue
            if key is not None and current == table:
                k = line.split("=", 1)[0].strip().strip('"').strip("'")
                if "=" in line and k == key:
                    return number
        return None

    def fail(self, table: str, key: str | None, problem: str) -> ConfigError:
        name = f"{table}.{key}" if key and table else (key or table)
        line = self.line_of(table, key)
        where = f"{self.source}:{line}" if line else self.source
        return ConfigError(f"{where}: {name}: {problem}", fix=f"edit {self.source}")

    def table(self, doc: dict[str, Any], name: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        value = doc.get(name, {})
        if not isinstance(value, dict):
            raise self.fail(name, None, "must be a table")
        for key in value:
            if key not in allowed:
                raise self.fail(name, key, f"unknown key (known: {', '.join(allowed)})")
        return value

    def get(
        self, tbl: dict[str, Any], table: str, key: str, default: T, conv: Callable[[Any], T]
    ) -> T:
        if key not in tbl:
            return default
        try:
            return conv(tbl[key])
        except (ValueError, TypeError) as exc:
            raise self.fail(table, key, str(exc)) from None


def nonempty_str(v: Any) -> str:
    if not isinstance(v, str) or not v:
        raise ValueError(f"expected a non-empty string, got {v!r}")
    return v


def boolean(v: Any) -> bool:
    if not isinstance(v, bool):
        raise ValueError(f"expected true or false, got {v!r}")
    return v


def int0(v: Any) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        raise ValueError(f"expected a whole number >= 0, got {v!r}")
    return v


def strs(v: Any) -> tuple[str, ...]:
    if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
        raise ValueError(f"expected a list of non-empty strings, got {v!r}")
    return tuple(v)


def duration(v: Any) -> int:
    if not isinstance(v, str):
        raise ValueError(f'expected a duration such as "30m", got {v!r}')
    try:
        return parse_duration(v)
    except UsageError as exc:
        raise ValueError(exc.message) from None


def one_of(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def conv(v: Any) -> str:
        if v not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {v!r}")
        return str(v)

    return conv


def skew(v: Any) -> int:
    if isinstance(v, int) and not isinstance(v, bool) and v == 0:
        return 0
    if v == "0s":
        return 0
    return duration(v)
