"""gitignore-style path patterns, as used by `[[guard]] paths`, `[claims] require`, roles and
`[sync] protected` branches: the one matcher of the hooks, `gitcoord ci` and the server.

Semantics (a subset of gitignore(5), without negation):
- `*` matches anything except `/`; `?` one character except `/`; `[...]` a character class
  (`[!...]` or `[^...]` negated), never matching `/`.
- `**` as a whole component: `**/x` is x at any depth, `a/**` everything inside a,
  `a/**/b` b under a at any depth (including directly).
- A leading `/`, or a `/` anywhere but at the end, anchors the pattern at the repository root;
  otherwise it matches a name at any depth (`*.pem` matches `keys/a.pem`).
- A trailing `/` matches directories only, i.e. the paths inside them.
- A pattern that matches a directory matches everything inside it (`secrets` covers
  `secrets/a.txt`).

Paths are repository-relative, `/`-separated, without a leading or trailing slash.
Pure functions only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple


class Pattern(NamedTuple):
    text: str
    regex: re.Pattern[str] | None  # None for a literal pattern (no wildcards): no regex needed
    dir_only: bool
    literal: str = ""
    anchored: bool = True

    def whole(self, text: str) -> bool:
        """Whether `text` as a whole matches (no parent-directory rule)."""
        if self.regex is None:
            return (
                text == self.literal if self.anchored else text.rsplit("/", 1)[-1] == self.literal
            )
        return self.regex.fullmatch(text) is not None

    def matches(self, path: str) -> bool:
        """Whether `path` (a file) is matched, itself or through one of its parent directories."""
        parts = path.split("/")
        if self.regex is None:  # the common case of a plain name or path, without a regex
            lit = self.literal
            if self.anchored:
                return path.startswith(lit + "/") or (path == lit and not self.dir_only)
            return lit in parts[:-1] or (parts[-1] == lit and not self.dir_only)
        # Every proper prefix is a directory; the full path is the file itself.
        for end in range(1, len(parts) + 1):
            is_file = end == len(parts)
            if is_file and self.dir_only:
                return False
            if self.regex.fullmatch("/".join(parts[:end])):
                return True
        return False


def _class(pattern: str, i: int) -> tuple[str, int] | None:
    """Translate a `[...]` starting at pattern[i]; None when it is not a closed class."""
    j = i + 1
    negate = j < len(pattern) and pattern[j] in "!^"
    if negate:
        j += 1
    start = j
    if j < len(pattern) and pattern[j] == "]":
        j += 1  # a leading ] is literal
    while j < len(pattern) and pattern[j] != "]":
        j += 1
    if j >= len(pattern):
        return None
    body = pattern[start:j]
    items = []
    k = 0
    while k < len(body):
        if k + 2 < len(body) and body[k + 1] == "-":
            lo, hi = body[k], body[k + 2]
            if lo <= hi:
                items.append(re.escape(lo) + "-" + re.escape(hi))
            k += 3
        else:
            items.append(re.escape(body[k]))
            k += 1
    inner = "".join(items)
    if negate:
        return f"[^/{inner}]", j + 1
    return (f"[{inner}]" if inner else "(?!)"), j + 1


def _component(comp: str) -> str:
    out = []
    i = 0
    while i < len(comp):
        ch = comp[i]
        if ch == "*":
            while i < len(comp) and comp[i] == "*":
                i += 1
            out.append("[^/]*")
            continue
        if ch == "?":
            out.append("[^/]")
        elif ch == "[":
            translated = _class(comp, i)
            if translated is not None:
                out.append(translated[0])
                i = translated[1]
                continue
            out.append(re.escape(ch))
        elif ch == "\\" and i + 1 < len(comp):
            i += 1
            out.append(re.escape(comp[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


@lru_cache(maxsize=1024)
def component_regex(comp: str) -> re.Pattern[str] | None:
    """One path component's glob (not `**`) as a regex; None when it has no wildcard."""
    if not any(ch in comp for ch in "*?[\\"):
        return None
    return re.compile(_component(comp))


@lru_cache(maxsize=1024)
def compile_pattern(text: str) -> Pattern:
    raw = text.strip()
    dir_only = raw.endswith("/")
    body = raw.rstrip("/")
    anchored = body.startswith("/") or "/" in body
    body = body.lstrip("/")
    if not body:
        # "/" or "" would match everything; treat as the whole repository.
        return Pattern(text, re.compile(r".*"), False)
    if not any(ch in body for ch in "*?[\\"):
        return Pattern(text, None, dir_only, body, anchored)
    comps = body.split("/")
    pieces: list[str] = []
    for idx, comp in enumerate(comps):
        last = idx == len(comps) - 1
        if comp == "**":
            if last:
                pieces.append(r"[^/]+(?:/[^/]+)*")  # a/** : anything inside a
            else:
                pieces.append(r"(?:[^/]+/)*")  # **/ : zero or more directories
            continue
        pieces.append(_component(comp) + ("" if last else "/"))
    regex = "".join(pieces)
    if not anchored:
        regex = r"(?:[^/]+/)*" + regex
    return Pattern(text, re.compile(regex), dir_only, "", anchored)


def matches(pattern: str, path: str) -> bool:
    return compile_pattern(pattern).matches(path)


def first_match(patterns: Iterable[str], path: str) -> str | None:
    """The first pattern that matches `path`, or None."""
    for p in patterns:
        if matches(p, path):
            return p
    return None


def first_whole_match(patterns: Iterable[str], name: str) -> str | None:
    """The first pattern naming all of `name` (a branch name, not a path: no directory rule),
    anchored at the start: `release/*` names `release/1.0`, not `release/1.0/hotfix`."""
    for p in patterns:
        if compile_pattern("/" + p.lstrip("/")).whole(name):
            return p
    return None
