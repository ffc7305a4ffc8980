"""Installing gitcoord's native git hooks: small shell shims that exec the lean hook entry.

A shim is recognised by its MARKER line. An existing hook that is not ours is kept as
`<hook>.local` and run first (with the same arguments and, for pre-push, the same stdin);
`uninstall` puts it back. The hooks directory honours `core.hooksPath`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from gitcoord.core.errors import UsageError
from gitcoord.git import hookshims
from gitcoord.git.repo import git_path

MARKER = "# gitcoord-hook-shim v1"
HOOKS = ("pre-commit", "pre-push", "commit-msg")

# GITCOORD_HOOK_DIR tells the hook where it lives (no git process needed to find out).
_TEMPLATE = """#!/bin/sh
{marker} (written by `gitcoord hooks install`; `gitcoord hooks uninstall` removes it)
GITCOORD_HOOK_DIR="${{0%/*}}"; export GITCOORD_HOOK_DIR
{chain}exec {launch} {hook} "$@"
"""

_CHAIN_ARGS = """if [ -x "$0.local" ]; then
    "$0.local" "$@" || exit $?
fi
"""

# pre-push reads the ref list on stdin: both hooks need it.
_CHAIN_STDIN = """if [ -x "$0.local" ]; then
    input=$(cat)
    printf '%s\\n' "$input" | "$0.local" "$@" || exit $?
    printf '%s\\n' "$input" | {launch} {hook} "$@"
    exit $?
fi
"""


def hooks_dir(toplevel: Path) -> Path:
    """`git rev-parse --git-path hooks` honours core.hooksPath and worktrees."""
    return git_path(toplevel, "hooks")


def launcher(python: str | None = None) -> str:
    """The command a shim execs (git/hookshims.launcher): this Python, by absolute path
    (so it works outside the venv), with -S."""
    return hookshims.launcher("gitcoord.hooks.entry", python)


def shim(hook: str, python: str | None = None) -> str:
    launch = launcher(python)
    chain = (_CHAIN_STDIN if hook == "pre-push" else _CHAIN_ARGS).format(launch=launch, hook=hook)
    return _TEMPLATE.format(marker=MARKER, chain=chain, launch=launch, hook=hook)


def is_ours(path: Path) -> bool:
    return hookshims.is_ours(path, MARKER)


class Action(NamedTuple):
    hook: str
    what: str  # "installed", "updated", "unchanged", "chained <name>.local", "removed", ...

    def __str__(self) -> str:
        return f"{self.hook}: {self.what}"


def install(toplevel: Path) -> list[Action]:
    directory = hooks_dir(toplevel)
    directory.mkdir(parents=True, exist_ok=True)
    actions = []
    for hook in HOOKS:
        path = directory / hook
        chained = ""
        if path.exists() and not is_ours(path):
            local = path.with_name(hook + ".local")
            if local.exists():
                raise UsageError(
                    f"{path} is not gitcoord's and {local.name} already exists",
                    fix=f"merge {path} into {local} (or remove one), then: gitcoord hooks install",
                )
            path.rename(local)
            chained = f"installed, chaining the existing hook (kept as {local.name})"
        what = hookshims.write_shim(path, shim(hook))
        actions.append(Action(hook, chained or what))
    return actions


def uninstall(toplevel: Path) -> list[Action]:
    directory = hooks_dir(toplevel)
    actions = []
    for hook in HOOKS:
        path = directory / hook
        local = path.with_name(hook + ".local")
        if not path.exists() or not is_ours(path):
            actions.append(Action(hook, "not installed" if not path.exists() else "not ours, kept"))
            continue
        path.unlink()
        if local.exists():
            os.replace(local, path)
            actions.append(Action(hook, f"removed; restored the previous hook from {local.name}"))
        else:
            actions.append(Action(hook, "removed"))
    return actions
