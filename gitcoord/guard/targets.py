"""What an agent's tool call touches: the paths it names, made absolute against the payload's
cwd (a shell command's through guard/shell.py), the repository they are in, and their keys
there, symlinks followed to the file they reach."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import NamedTuple

from gitcoord.core.config import Config
from gitcoord.core.errors import UsageError
from gitcoord.core.paths import PathCache, normalize_user_path
from gitcoord.git.repo import Repo
from gitcoord.guard.toolcall import READ, SHELL, WRITE, ToolCall
from gitcoord.policy import decisions as policy


class Targets(NamedTuple):
    """What a tool call touches: absolute paths before a repository is known, repository
    keys after (paths outside the repository are not gitcoord's to guard)."""

    writes: tuple[str, ...] = ()
    deletes: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    unparsed: bool = False  # a shell command the parser could not read whole


def absolute_targets(call: ToolCall) -> Targets:
    """The paths the call names, absolute (resolved against the payload's cwd)."""
    cwd = os.path.realpath(call.cwd)

    def absolute(paths: Sequence[str]) -> tuple[str, ...]:
        return tuple(os.path.normpath(os.path.join(cwd, p)) for p in paths)

    if call.action == SHELL:
        from gitcoord.guard.shell import shell_targets  # tree-sitter: only for shell commands

        found = shell_targets(call.command, cwd)
        return Targets(found.writes, found.deletes, found.reads, found.unparsed)
    if call.action == WRITE:
        return Targets(absolute(call.paths), absolute(call.deletes))
    if call.action == READ:
        return Targets(reads=absolute(call.paths))
    return Targets()


def repository_of(call: ToolCall, paths: Sequence[str]) -> Repo | None:
    """The repository the call acts in: the cwd's, else that of the first path inside one
    (an agent whose shell moved out of the project still writes into it)."""
    for where in (call.cwd, *paths):
        here = where
        while here and not os.path.isdir(here):  # a file, or one not made yet: its directory
            parent = os.path.dirname(here)
            here = "" if parent == here else parent
        if not here:
            continue
        try:
            return Repo.discover(here)
        except (UsageError, OSError):  # not a working tree (or inside .git: not one either)
            continue
    return None


def keys(repo: Repo, paths: Sequence[str]) -> tuple[str, ...]:
    """Repository keys of absolute `paths`, each with the file it reaches through a symlink
    (a write through `link -> src/app.py` writes src/app.py)."""
    top = str(repo.toplevel)
    flags = repo.git_config
    cache = PathCache()
    out: dict[str, None] = {}
    for path in paths:
        spellings = [path]
        if os.path.islink(path):
            spellings.append(os.path.realpath(path))
        for spelled in spellings:
            try:
                key, _ = normalize_user_path(
                    spelled,
                    cwd=top,
                    toplevel=top,
                    ignorecase=flags.get("core.ignorecase") == "true",
                    precompose=flags.get("core.precomposeunicode") == "true",
                    cache=cache,
                )
            except UsageError:  # outside the repository, or inside .git (see in_git_dir)
                continue
            out.setdefault(key or ".", None)
    return tuple(out)


def in_git_dir(repo: Repo, paths: Sequence[str]) -> list[str]:
    """Those of `paths` inside the repository's git directory: its hooks, its gitcoord
    state (acknowledgements, approvals) and config decide what the local checks do."""
    dirs = {os.path.realpath(d) for d in (repo.git_dir, repo.common_dir)}
    out = []
    for path in paths:
        real = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
        if any(real == d or real.startswith(d + os.sep) for d in dirs):
            out.append(path)
    return out


MAX_WALKED = 20000  # entries a directory read is searched through for read-guarded files


def under_directories(repo: Repo, reads: Sequence[str], config: Config) -> list[str]:
    """The paths a read reaches: a directory (`grep -r KEY .`) stands for the read-guarded
    files under it, found on disk (ignored ones too: secrets usually are), .git left out.
    Past MAX_WALKED entries the rest of a directory is not searched."""
    out: list[str] = []
    top = str(repo.toplevel)
    for key in reads:
        where = os.path.join(top, key)
        if not os.path.isdir(where):
            out.append(key)
            continue
        walked = 0
        for root, dirs, files in os.walk(where):
            dirs[:] = [d for d in dirs if d != ".git"]
            walked += len(dirs) + len(files)
            rel = os.path.relpath(root, top).replace(os.sep, "/")
            named = (f if rel == "." else f"{rel}/{f}" for f in files)
            out += [p for p in named if policy.read_rule(p, config) is not None]
            if walked > MAX_WALKED:
                break
    return out
