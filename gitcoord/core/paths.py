"""Claim paths: repository-relative, '/'-separated, directories marked; and the overlap rule.

Pure functions only; callers supply the repository root and the current directory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from gitcoord.core.errors import UsageError
from gitcoord.core.pattern_overlap import pattern_meets_directory, patterns_meet
from gitcoord.core.patterns import compile_pattern

ROOT_DISPLAY = "./"
# A pattern claim's key: git's own pathspec magic for a glob anchored at the repository root,
# so its key (and so its ref) is never a file's, and `git log -- KEY` reads it the same way.
GLOB_MAGIC = ":(glob)"


class ClaimPath(NamedTuple):
    """`key` is the path without a trailing slash ('' for the whole repository), or a
    pattern claim's GLOB_MAGIC + pattern (anchored at the root, a trailing slash kept)."""

    key: str
    is_dir: bool = False

    @property
    def is_pattern(self) -> bool:
        return self.key.startswith(GLOB_MAGIC)

    @property
    def parts(self) -> tuple[str, ...]:
        """The components of the path, or of the pattern (its trailing slash dropped)."""
        if self.is_pattern:
            return tuple(self.key[len(GLOB_MAGIC) :].rstrip("/").split("/"))
        return tuple(self.key.split("/")) if self.key else ()

    def __str__(self) -> str:
        if not self.key:
            return ROOT_DISPLAY
        return self.key + "/" if self.is_dir else self.key

    @classmethod
    def parse_stored(cls, text: str) -> ClaimPath:
        """Inverse of str(): how a path is written inside a claim object."""
        if text == ROOT_DISPLAY:
            return cls("", True)
        if text.startswith(GLOB_MAGIC):
            return cls(check_pattern_key(text), False)
        if not text or text.startswith("/") or "\0" in text:
            raise ValueError(f"not a stored claim path: {text!r}")
        is_dir = text.endswith("/")
        key = text.rstrip("/") if is_dir else text
        if any(p in ("", ".", "..") for p in key.split("/")):
            raise ValueError(f"not a normalised claim path: {text!r}")
        return cls(key, is_dir)

    def covers(self, repo_path: str) -> bool:
        """Whether a file path (repository-relative, no trailing slash) falls under this claim:
        for a pattern claim, whether the pattern matches it (the guards' matcher)."""
        if self.is_pattern:
            return compile_pattern("/" + self.key[len(GLOB_MAGIC) :]).matches(repo_path)
        if self.is_dir:
            return not self.key or repo_path == self.key or repo_path.startswith(self.key + "/")
        return repo_path == self.key


def overlaps(a: ClaimPath, b: ClaimPath) -> bool:
    """Equal paths, or one is a directory claim that is an ancestor of the other; a pattern
    meets what it may match (core/pattern_overlap.py: conservatively, never a false no)."""
    if a.is_pattern or b.is_pattern:
        return _pattern_overlaps(a, b) if a.is_pattern else _pattern_overlaps(b, a)
    pa, pb = a.parts, b.parts
    if pa == pb:
        return True
    if a.is_dir and pb[: len(pa)] == pa:
        return True
    return b.is_dir and pa[: len(pb)] == pb


def _pattern_overlaps(pattern: ClaimPath, other: ClaimPath) -> bool:
    if other.is_pattern:
        return patterns_meet(pattern.parts, other.parts)
    if other.is_dir:
        return pattern_meets_directory(pattern.parts, other.parts)
    return pattern.covers(other.key)


def check_pattern_key(text: str) -> str:
    """`text` if it is a stored pattern claim's key, else ValueError: GLOB_MAGIC and a
    pattern relative to the root, without empty, `.` or `..` components."""
    body = text[len(GLOB_MAGIC) :]
    body = body[:-1] if body.endswith("/") else body
    if not body or "\0" in body or any(p in ("", ".", "..") for p in body.split("/")):
        raise ValueError(f"not a normalised pattern claim: {text!r}")
    return text


def check_typed(arg: str) -> None:
    if not arg:
        raise UsageError("empty path", fix="name a file or directory, e.g. git claim src/api.py")
    try:
        arg.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(
            f"path {arg!r} is not valid UTF-8; gitcoord stores paths as UTF-8"
        ) from None


class PathCache:
    """What the paths of one command share: resolved directories and directory listings."""

    def __init__(self) -> None:
        self.real: dict[str, str] = {}
        self.listed: dict[str, list[str] | None] = {}


def normalize_user_path(
    arg: str,
    *,
    cwd: str,
    toplevel: str,
    ignorecase: bool = False,
    precompose: bool = False,
    cache: PathCache | None = None,
) -> tuple[str, bool]:
    """Resolve a path as typed (relative to `cwd`) to (repository-relative key, trailing slash).

    `cwd` and `toplevel` are absolute, symlink-resolved directories. The key is the path git
    tracks, so that every spelling of one file gives one key (and so one claim ref):

    * directories are followed through symlinks, relative and absolute spellings alike; the
      last component is followed only with a trailing slash (without one, the claim is on
      the link itself, which is what git tracks). A symlink inside the repository that leads
      out of it is a UsageError naming the link, whatever the spelling.
    * `ignorecase` (core.ignorecase): each component takes the spelling found on disk in its
      directory; a component that matches nothing (a new file) is lowercased.
    * `precompose` (core.precomposeunicode): the key is in NFC.

    Pass one `cache` to all the paths of a command (the settings must not change between
    them). A path outside the repository, inside .git, or not valid UTF-8 is a UsageError
    (exit 2).
    """
    check_typed(arg)
    trailing = arg.endswith("/") or arg.endswith(os.sep) or arg in (".", "..")
    spelled = _nfc(arg) if precompose else arg
    lexical = os.path.normpath(os.path.join(cwd, spelled))  # join keeps an absolute `spelled`
    cache = cache or PathCache()
    cache.real.setdefault(toplevel, toplevel)  # resolved already: the walk starts there
    walk = _Walk(arg, toplevel, cache, ignorecase=ignorecase, precompose=precompose)
    if trailing:
        real = walk.real_dir(lexical)
    else:
        parent, name = os.path.split(lexical)
        real_parent = walk.real_dir(parent)
        real = os.path.join(real_parent, walk.spelling(real_parent, name))
    if real == toplevel:
        return "", True
    if not _within(real, toplevel):
        raise UsageError(
            f"path {arg!r} is outside the repository ({toplevel})",
            fix="name a path inside the working tree",
        )
    rel = real[len(toplevel.rstrip(os.sep)) + 1 :].replace(os.sep, "/")
    if precompose:
        rel = _nfc(rel)  # link targets are read as stored
    first = rel.split("/", 1)[0]
    if (first.lower() if ignorecase else first) == ".git":
        raise UsageError(f"path {arg!r} is inside .git, which git does not track")
    return rel, trailing


class _Walk:
    """Directories followed through symlinks, one lstat per directory per command.

    Inside the repository each component is first given its on-disk spelling (ignorecase),
    and a symlink leading out of the repository is refused, naming the link.
    """

    def __init__(
        self, arg: str, toplevel: str, cache: PathCache, *, ignorecase: bool, precompose: bool
    ) -> None:
        self.arg = arg
        self.toplevel = toplevel
        self.cache = cache
        self.ignorecase = ignorecase
        self.precompose = precompose

    def real_dir(self, lexical: str) -> str:
        """`lexical` (absolute, normalised) with every component followed through symlinks."""
        known = self.cache.real.get(lexical)
        if known is not None:
            return known
        parent, name = os.path.split(lexical)
        if not name:  # the root
            return lexical
        real_parent = self.real_dir(parent)
        inside = _within(real_parent, self.toplevel)
        nxt = os.path.join(real_parent, self.spelling(real_parent, name))
        real = nxt
        if os.path.islink(nxt):
            real = os.path.realpath(nxt)
            if inside and not _within(real, self.toplevel):
                link = os.path.relpath(nxt, self.toplevel).replace(os.sep, "/")
                raise UsageError(
                    f"path {self.arg!r} goes through the symlink {link} -> {_readlink(nxt)}, "
                    f"which leads outside the repository (to {real})",
                    fix=f"claim the file where it lives, in the repository that holds {real}",
                )
        self.cache.real[lexical] = real
        return real

    def spelling(self, directory: str, name: str) -> str:
        """core.ignorecase: `name` as `directory` has it on disk; a new name lowercased."""
        if not self.ignorecase or not _within(directory, self.toplevel):
            return name
        entries = self._entries(directory)
        if entries is None:
            return name.lower()  # a new directory: every spelling of it meets here
        if name in entries:
            return name
        folded = name.lower()
        found = sorted(e for e in entries if e.lower() == folded)
        return found[0] if found else folded

    def _entries(self, directory: str) -> list[str] | None:
        listed = self.cache.listed
        if directory not in listed:
            try:
                names = os.listdir(directory)
            except OSError:
                listed[directory] = None
            else:
                listed[directory] = [_nfc(n) for n in names] if self.precompose else names
        return listed[directory]


def _within(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip(os.sep) + os.sep)


def _readlink(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _nfc(text: str) -> str:
    if text.isascii():
        return text
    import unicodedata  # deferred: its import costs more than most claims' path handling

    return unicodedata.normalize("NFC", text)


def tracked_hooks_dir(toplevel: Path, hooks_path: str | None) -> list[str]:
    """A hooks directory (core.hooksPath) inside the working tree is tracked content: guard
    it like gitcoord's config. `hooks_path` is relative to the top level, or absolute."""
    if not hooks_path:
        return []
    target = (toplevel / os.path.expanduser(hooks_path)).resolve()
    try:
        rel = target.relative_to(toplevel.resolve()).as_posix()
    except ValueError:
        return []
    return [] if rel == "." else ["/" + rel + "/"]
