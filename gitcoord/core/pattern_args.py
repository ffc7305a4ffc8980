"""Pattern claims as typed: `git claim 'src/**/*.py'` (or `':(glob)src/**/*.py'`).

An argument is a pattern when it starts with GLOB_MAGIC, or when it has a wildcard (`*`,
`?`, `[`) and names nothing on disk: an existing file whose name merely has one is claimed
as that file. A pattern is read like a path, relative to the current directory; as in a
.gitignore there, a pattern without a `/` (but a trailing one) matches at any depth below
it. It is stored anchored at the repository root, its literal leading directories resolved
like any path (symlinks, core.ignorecase spelling, outside the repository refused), so one
pattern has one key whatever directory it is typed from.
"""

from __future__ import annotations

import os

from gitcoord.core.errors import UsageError
from gitcoord.core.paths import GLOB_MAGIC, ClaimPath, PathCache, check_pattern_key
from gitcoord.core.paths import normalize_user_path as _normalize_path

WILDCARDS = "*?["


def typed_claim_path(
    arg: str,
    *,
    cwd: str,
    toplevel: str,
    ignorecase: bool = False,
    precompose: bool = False,
    cache: PathCache | None = None,
) -> ClaimPath:
    """The claim a typed argument asks for: a pattern, a directory or a file (a symlink
    named without a trailing slash is the link, a file). `cwd`, `toplevel`: as
    paths.normalize_user_path; pass one `cache` to every argument of a command."""
    how = (ignorecase, precompose, cache)
    if is_pattern_arg(arg, cwd):
        return user_pattern(arg, cwd, toplevel, *how)
    key, trailing = _normalize_path(
        arg, cwd=cwd, toplevel=toplevel, ignorecase=ignorecase, precompose=precompose, cache=cache
    )
    where = os.path.join(toplevel, key)
    is_dir = trailing or not key or (os.path.isdir(where) and not os.path.islink(where))
    return ClaimPath(key, is_dir)


def is_pattern_arg(arg: str, cwd: str) -> bool:
    if arg.startswith(GLOB_MAGIC):
        return True
    return any(ch in arg for ch in WILDCARDS) and not os.path.lexists(os.path.join(cwd, arg))


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
    body = arg[len(GLOB_MAGIC) :] if arg.startswith(GLOB_MAGIC) else arg
    dir_only = body.endswith("/")
    parts = body.rstrip("/").split("/")
    first_glob = next((i for i, p in enumerate(parts) if any(ch in p for ch in WILDCARDS)), None)
    if first_glob is None:
        raise UsageError(
            f"pattern {arg!r} has no wildcard",
            fix=f"claim it as a path: git claim {body}",
        )
    lead, rest = parts[:first_glob], parts[first_glob:]
    if "/" not in body.rstrip("/"):
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
