"""Server settings, kept in the bare repository's own git config under `gitcoord.*`.

gitcoord.serverhooks   the installed hook version (written by `gitcoord server install`)
gitcoord.admin         a gitolite user who may break others' claims (one value per user)
gitcoord.usermap       "GL_USER AGENT [AGENT...]": the agent names a gitolite user may act
                       as (fnmatch patterns); a user without an entry may act only as itself
gitcoord.protected     a branch pattern whose history may not be dropped (one per value; an
                       empty value records "none"). Enforced together with `[sync] protected`
                       of gitcoord.toml on the default branch; `gitcoord server install`
                       records the toml's list (else main, release/*) when none is recorded
gitcoord.stalelockafter  seconds after which a ref lock file under refs/claims/ or
                       refs/claims-log/ that no live transaction can own is removed (60)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from gitcoord.core.errors import UsageError
from gitcoord.git.gitconfig import config_entries

HOOKS_VERSION = "1"
STALE_LOCK_AFTER = 60.0  # twice the claims lock's 30 s timeout: no live transaction waits longer


class ServerSettings(NamedTuple):
    admins: tuple[str, ...] = ()
    user_map: Mapping[str, tuple[str, ...]] = MappingProxyType({})  # shared default: read-only
    protected: tuple[str, ...] = ()
    installed: str = ""
    stale_lock_after: float = STALE_LOCK_AFTER
    protected_recorded: bool = False  # any gitcoord.protected value, even the empty "none"

    def agents_for(self, gl_user: str) -> tuple[str, ...]:
        return self.user_map.get(gl_user, (gl_user,))

    def may_act_as(self, gl_user: str, agent: str) -> bool:
        return any(fnmatchcase(agent, pattern) for pattern in self.agents_for(gl_user))

    def is_admin(self, gl_user: str) -> bool:
        return gl_user in self.admins

    @classmethod
    def from_config(cls, items: Iterable[tuple[str, str]]) -> ServerSettings:
        admins: list[str] = []
        user_map: dict[str, tuple[str, ...]] = {}
        protected: list[str] = []
        installed = ""
        stale_lock_after = STALE_LOCK_AFTER
        recorded = False
        for key, value in items:
            if key == "gitcoord.admin":
                admins.append(value.strip())
            elif key == "gitcoord.usermap":
                user, *agents = value.split()
                if user and agents:
                    user_map[user] = user_map.get(user, ()) + tuple(agents)
            elif key == "gitcoord.protected":
                recorded = True
                if value.strip():
                    protected.append(value.strip())
            elif key == "gitcoord.serverhooks":
                installed = value
            elif key == "gitcoord.stalelockafter" and _seconds(value):
                stale_lock_after = float(value)  # (a bad value keeps the safe default)
        return cls(tuple(admins), user_map, tuple(protected), installed, stale_lock_after, recorded)


def _seconds(value: str) -> bool:
    return value.strip().replace(".", "", 1).isdigit()


def read_settings(git_dir: Path) -> ServerSettings:
    entries = config_entries(git_dir / "config", r"^gitcoord\.")
    return ServerSettings.from_config((key.lower(), value) for key, value in entries)


def parse_user_map(text: str, source: str) -> list[str]:
    """Lines of `GL_USER AGENT [AGENT...]` ('#' starts a comment) as gitcoord.usermap values."""
    values = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        if len(words) < 2:
            raise UsageError(
                f"{source}:{number}: expected `GL_USER AGENT [AGENT...]`, got {raw.strip()!r}",
                fix=f"edit {source}: one gitolite user and its agent names per line",
            )
        values.append(" ".join(words))
    return values
