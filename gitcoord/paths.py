"""Claim paths: repository-relative, '/'-separated, directories marked; and the overlap rule.

Pure functions only; callers supply the repository root and the current directory.
"""

from __future__ import annotations

import os
import posixpath
from typing import NamedTuple

from gitcoord.errors import UsageError

ROOT_DISPLAY = "./"


class ClaimPath(NamedTuple):
    """`key` is the path without a trailing slash ('' for the whole repository)."""

    key: str
    is_dir: bool = False

    @property
    def parts(self) -> tuple[str, ...]:
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
        if not text or text.startswith("/") or "\0" in text:
            raise ValueError(f"not a stored claim path: {text!r}")
        is_dir = text.endswith("/")
        key = text.rstrip("/") if is_dir else text
        if any(p in ("", ".", "..") for p in key.split("/")):
            raise ValueError(f"not a normalised claim path: {text!r}")
        return cls(key, is_dir)

    def covers(self, repo_path: str) -> bool:
        """Whether a file path (repository-relative, no trailing slash) falls under this claim."""
        if self.is_dir:
            return not self.key or repo_path == self.key or repo_path.startswith(self.key + "/")
        return repo_path == self.key


def overlaps(a: ClaimPath, b: ClaimPath) -> bool:
    """Equal paths, or one is a directory claim that is an ancestor of the other."""
    pa, pb = a.parts, b.parts
    if pa == pb:
        return True
    if a.is_dir and pb[: len(pa)] == pa:
        return True
    return b.is_dir and pa[: len(pb)] == pb


def normalize_user_path(arg: str, *, cwd: str, toplevel: str) -> tuple[str, bool]:
    """Resolve a path as typed (relative to `cwd`) to (repository-relative key, trailing slash).

    `cwd` and `toplevel` are absolute, symlink-resolved directories. A path outside the
    repository, inside .git, or not valid UTF-8 is a UsageError (exit 2).
    """
    if not arg:
        raise UsageError("empty path", fix="name a file or directory, e.g. git claim src/api.py")
    try:
        arg.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(
            f"path {arg!r} is not valid UTF-8; gitcoord stores paths as UTF-8"
        ) from None
    trailing = arg.endswith("/") or arg.endswith(os.sep) or arg in (".", "..")
    absolute = arg if os.path.isabs(arg) else os.path.join(cwd, arg)
    absolute = os.path.normpath(absolute)
    if not os.path.isabs(arg):
        rel = os.path.relpath(absolute, toplevel)
    else:
        # An absolute path may pass through symlinks (e.g. /tmp -> /private/tmp).
        parent = os.path.realpath(os.path.dirname(absolute)) if absolute != "/" else "/"
        rel = os.path.relpath(os.path.join(parent, os.path.basename(absolute)), toplevel)
    rel = rel.replace(os.sep, "/")
    if rel == ".":
        return "", True
    if rel == ".." or rel.startswith("../"):
        raise UsageError(
            f"path {arg!r} is outside the repository ({toplevel})",
            fix="name a path inside the working tree",
        )
    rel = posixpath.normpath(rel)
    if rel == ".git" or rel.startswith(".git/"):
        raise UsageError(f"path {arg!r} is inside .git, which git does not track")
    return rel, trailing
