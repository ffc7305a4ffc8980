"""Installing the server hooks into a bare repository, and removing them again.

Each hook is a two-line shell shim that execs the installing interpreter (by absolute
path) on gitcoord.server.hook, so the hook runs whatever virtualenv gitcoord lives in
without a PATH lookup. The shim carries a marker line: install replaces only hooks that
carry it (idempotent, and never clobbers someone else's hook) and uninstall removes only
those.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitcoord.core.errors import Refused, UsageError
from gitcoord.git import gitconfig, hookshims
from gitcoord.git.bare import bare_layout
from gitcoord.server.settings import HOOKS_VERSION, read_settings

MARKER = "# gitcoord-server-hook"
HOOKS = ("pre-receive", "reference-transaction")


def shim(hook: str, python: str | None = None) -> str:
    """The hook script. Every claim push runs it two or three times (pre-receive, then
    reference-transaction per state), so by default it starts this Python with -S (and -P)
    and this gitcoord on sys.path (git/hookshims.launcher). A --python of the admin's
    choice finds gitcoord its own way (site, PYTHONPATH), so it keeps site."""
    if python is None:
        launch = hookshims.launcher(ENTRY, flags="-S -P")
    else:
        launch = hookshims.launcher(ENTRY, python, flags="-P", own_path=False)
    return (
        "#!/bin/sh\n"
        f"{MARKER} {HOOKS_VERSION}: written by `gitcoord server install`; "
        "remove with `gitcoord server uninstall`\n"
        f'exec {launch} {hook} "$@"\n'
    )


ENTRY = "gitcoord.server.hook"


@dataclass
class HookAction:
    hook: str
    path: Path
    action: str  # installed | updated | unchanged | removed | absent


@dataclass
class Outcome:
    repository: Path
    hooks_dir: Path
    actions: list[HookAction] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "repository": str(self.repository),
            "hooks_dir": str(self.hooks_dir),
            "hooks": [
                {"hook": a.hook, "path": str(a.path), "action": a.action} for a in self.actions
            ],
            "settings": self.settings,
        }


def bare_repository(path: str) -> tuple[Path, Path]:
    """(git dir, hooks dir) of a bare repository, honouring its core.hooksPath."""
    where = Path(path).expanduser()
    if not where.is_dir():
        raise UsageError(
            f"{path} is not a directory", fix="name the bare repository, e.g. team.git"
        )
    layout = bare_layout(where)
    if layout is None:
        raise UsageError(f"{path} is not a git repository", fix="git init --bare " + path)
    if not layout.is_bare:
        raise UsageError(
            f"{path} is not a bare repository; server hooks belong in the repository "
            "that people push to",
            fix="point at the bare repository (e.g. /srv/git/team.git)",
        )
    hooks = layout.hooks
    return layout.git_dir, (hooks if hooks.is_absolute() else (where / hooks)).resolve()


def _ours(path: Path) -> bool:
    return hookshims.is_ours(path, MARKER)


def _set_all(git_dir: Path, key: str, values: Sequence[str]) -> None:
    gitconfig.unset_all(git_dir / "config", key)
    for value in values:
        gitconfig.add_value(git_dir / "config", key, value)


def install(
    path: str,
    *,
    admins: Sequence[str] | None = None,
    user_map: Sequence[str] | None = None,
    protect: Sequence[str] = (),
    unprotect: Sequence[str] = (),
    protect_only: Sequence[str] | None = None,
    python: str | None = None,
) -> Outcome:
    _check_patterns(protect, unprotect, protect_only)
    git_dir, hooks_dir = bare_repository(path)
    foreign = [h for h in HOOKS if (hooks_dir / h).exists() and not _ours(hooks_dir / h)]
    if foreign:
        first = hooks_dir / foreign[0]
        raise Refused(
            f"{first} exists and is not gitcoord's; not overwriting it",
            fix=f"move it aside (`mv {first} {first}.local`), re-run the install, then call "
            "it from your own wrapper if you still need it",
        )
    outcome = Outcome(git_dir, hooks_dir)
    hooks_dir.mkdir(parents=True, exist_ok=True)
    for hook in HOOKS:
        target = hooks_dir / hook
        outcome.actions.append(
            HookAction(hook, target, hookshims.write_shim(target, shim(hook, python)))
        )
    gitconfig.set_value(git_dir / "config", "gitcoord.serverhooks", HOOKS_VERSION)
    for key, values in (("gitcoord.admin", admins), ("gitcoord.usermap", user_map)):
        if values is not None:
            _set_all(git_dir, key, values)
    if protect_only is not None:
        _set_all(git_dir, "gitcoord.protected", list(dict.fromkeys(protect_only)))
    else:
        _record_protection(git_dir, protect, unprotect)
    outcome.settings = _describe_settings(git_dir)
    return outcome


def _check_patterns(
    protect: Sequence[str], unprotect: Sequence[str], protect_only: Sequence[str] | None
) -> None:
    """--protect-only replaces the list, so it cannot be combined with the flags that edit
    it; a pattern is a branch name glob (no space: a branch name has none)."""
    if protect_only is not None and (protect or unprotect):
        raise UsageError(
            "--protect-only replaces the protected list; it cannot be combined with "
            "--protect or --unprotect",
            fix="name every pattern the list should hold with --protect-only (repeat it)",
        )
    for pattern in (*protect, *(protect_only or ())):
        if not pattern.strip() or any(ord(c) <= 32 for c in pattern):
            raise UsageError(
                f"{pattern!r} is not a branch pattern",
                fix="name a branch or a glob such as 'release/*', without spaces",
            )


def _record_protection(git_dir: Path, protect: Sequence[str], unprotect: Sequence[str]) -> None:
    """Merge into the server's own protected list (gitcoord.protected), never replace it:
    what is recorded (else, on the first install, gitcoord.toml's [sync] protected on the
    default branch, else main and release/*), plus `protect`, minus `unprotect`. The hooks
    enforce this list whatever a push does to gitcoord.toml."""
    settings = read_settings(git_dir)
    if settings.protected_recorded:
        current = list(settings.protected)
    else:
        from gitcoord.server.gitdata import team_config  # reads the bare repository

        current = list(team_config(git_dir).sync_protected)
    unknown = [p for p in unprotect if p not in current and p not in protect]
    if unknown:
        listed = ", ".join(current) or "none"
        raise UsageError(
            f"{unknown[0]!r} is not in the server's protected list ({listed})",
            fix="name a recorded pattern exactly (`gitcoord server install REPO` lists them)",
        )
    wanted = [p for p in dict.fromkeys([*current, *protect]) if p not in unprotect]
    if settings.protected_recorded and wanted == current:
        return
    _set_all(git_dir, "gitcoord.protected", wanted or [""])  # "": recorded, none


def uninstall(path: str, *, purge: bool = False) -> Outcome:
    git_dir, hooks_dir = bare_repository(path)
    outcome = Outcome(git_dir, hooks_dir)
    for hook in HOOKS:
        target = hooks_dir / hook
        if _ours(target):
            target.unlink()
            outcome.actions.append(HookAction(hook, target, "removed"))
        else:
            outcome.actions.append(HookAction(hook, target, "absent"))
    keys = ["gitcoord.serverhooks"]
    if purge:
        keys += ["gitcoord.admin", "gitcoord.usermap", "gitcoord.protected"]
    for key in keys:
        gitconfig.unset_all(git_dir / "config", key)
    outcome.settings = _describe_settings(git_dir)
    return outcome


def _describe_settings(git_dir: Path) -> dict[str, Any]:
    s = read_settings(git_dir)
    return {
        "installed": s.installed or None,
        "admins": list(s.admins),
        "user_map": {user: list(agents) for user, agents in s.user_map.items()},
        "protected": list(s.protected),
    }
