"""Pattern claims as typed: `git claim 'src/**/*.py'` (or `':(glob)src/**/*.py'`).

An argument is a pattern when it starts with GLOB_MAGIC, or when it has a wildcard (`*`,
`?`, `[`) and names no file: neither one on disk nor one git tracks (`tracked`), so an
existing file whose name merely has one is claimed as that file. A pattern is read like a
path, relative to the current directory; as in a .gitignore there, a pattern without a `/`
(but a trailing one) matches at any depth below it. It is stored anchored at the
repository root, its literal leading directories resolved like any path (symlinks,
core.ignorecase spelling, outside the repository refused), so one pattern has one key
whatever directory it is typed from. The stored form, `:(glob)PATTERN`, is read as written
(anchored at the root, from any directory): what a listing or a refusal shows can be
pasted back.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from gitcoord.core.errors import UsageError
from gitcoord.core.paths import GLOB_MAGIC, ClaimPath, PathCache, check_pattern_key, check_typed
from gitcoord.core.paths import normalize_user_path as _normalize_path

WILDCARDS = "*?["
# git's other pathspec magic (`:(top)`, `:/`, `:!`, `:^`, `:(literal)`...), not supported.
_MAGIC_STARTS = (":(", ":/", ":!", ":^")


def typed_claim_path(
    arg: str,
    *,
    cwd: str,
    toplevel: str,
    ignorecase: bool = False,
    precompose: bool = False,
    cache: PathCache | None = None,
    tracked: Callable[[str], bool] | None = None,
) -> ClaimPath:
    """The claim a typed argument asks for: a pattern, a directory or a file (a symlink
    named without a trailing slash is the link, a file). `cwd`, `toplevel`: as
    paths.normalize_user_path; pass one `cache` to every argument of a command.
    `tracked(arg)`: whether git tracks a file of that name (asked only of an argument with
    a wildcard that names nothing on disk, such as a tracked file deleted in the tree)."""
    check_typed(arg)
    if arg.startswith(GLOB_MAGIC):
        return _stored_pattern(arg)
    if arg.startswith(_MAGIC_STARTS):
        raise UsageError(
            f"{arg!r}: gitcoord takes paths and :(glob)PATTERN, not git's other pathspec magic",
            fix=f"name the path itself, or ./{arg} for a file whose name starts with ':'",
        )
    on_disk = os.path.lexists(os.path.join(cwd, arg))
    if _wildcard(arg) and not on_disk and not (tracked and tracked(arg)):  # (git only here)
        return user_pattern(arg, cwd, toplevel, ignorecase, precompose, cache)
    key, trailing = _normalize_path(
        arg, cwd=cwd, toplevel=toplevel, ignorecase=ignorecase, precompose=precompose, cache=cache
    )
    where = os.path.join(toplevel, key)
    is_dir = trailing or not key or (os.path.isdir(where) and not os.path.islink(where))
    return ClaimPath(key, is_dir)


def _wildcard(text: str) -> bool:
    return any(ch in text for ch in WILDCARDS)


def _stored_pattern(arg: str) -> ClaimPath:
    """`:(glob)PATTERN` as written: the key a listing shows, anchored at the root."""
    _check_shape(arg, arg[len(GLOB_MAGIC) :])
    try:
        return ClaimPath(check_pattern_key(arg), False)
    except ValueError:
        raise UsageError(
            f"pattern {arg!r} has an empty, `.` or `..` component (the :(glob) form is the "
            "stored one: a pattern from the repository root, as `git claim` lists it)",
            fix="write it from the root, e.g. git claim ':(glob)src/**/*.py'",
        ) from None


def _check_shape(arg: str, body: str) -> None:
    """What no pattern means: empty, negated, padded with spaces, or with control characters."""
    problem = (
        "is empty"
        if not body.strip("/")
        else "starts with '!' (a negation, which a claim cannot be)"
        if body.startswith("!")
        else "starts or ends with a space"
        if body != body.strip(" ")
        else "has a control character"
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in body)
        else None
    )
    if problem is not None:
        raise UsageError(
            f"pattern {arg!r} {problem}",
            fix="name the paths to hold, e.g. git claim 'src/**/*.py'",
        )


def user_pattern(
    arg: str,
    cwd: str,
    toplevel: str,
    ignorecase: bool,
    precompose: bool,
    cache: PathCache | None,
) -> ClaimPath:
    """The pattern claim `arg` (typed relative to `cwd`) asks for; UsageError (exit 2) for a
    pattern outside the repository or with `.`/`..` among its wildcard components."""
    _check_shape(arg, arg)
    dir_only = arg.endswith("/")
    parts = arg.rstrip("/").split("/")
    first_glob = next(i for i, p in enumerate(parts) if _wildcard(p))
    lead, rest = parts[:first_glob], parts[first_glob:]
    if "/" not in arg.rstrip("/"):
        rest = ["**", *rest]  # a bare name matches at any depth, as in a .gitignore
    if any(p in ("", ".", "..") for p in rest):
        raise UsageError(
            f"pattern {arg!r} has an empty, `.` or `..` component after its first wildcard",
            fix="write the directories before the wildcards, e.g. git claim 'src/**/*.py'",
        )
    base, _ = _normalize_path(
        "/".join(lead) + "/" if lead else "./",
        cwd=cwd,
        toplevel=toplevel,
        ignorecase=ignorecase,
        precompose=precompose,
        cache=cache,
    )
    key = GLOB_MAGIC + "/".join([*([base] if base else []), *rest]) + ("/" if dir_only else "")
    return ClaimPath(check_pattern_key(key), False)
