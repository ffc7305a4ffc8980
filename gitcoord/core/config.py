"""gitcoord.toml: every key has a default; an unknown key or a bad value names the key and line."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple, TypeVar

from gitcoord.core.durations import parse_duration
from gitcoord.core.errors import ConfigError

CONFIG_FILE = "gitcoord.toml"
CHECK_MODES = ("off", "monitor", "warn", "enforce")
CHECK_NAMES = ("claims", "rules", "guards", "roles", "sync")
GUARD_TIERS = ("block", "approve", "warn")
OFFLINE_POLICIES = ("fail-closed", "fail-open")


class RemoteConfig(NamedTuple):
    name: str = "origin"
    url: str | None = None  # a separate coordination remote
    base: str | None = None  # default: the remote's HEAD


class ClaimsConfig(NamedTuple):
    ttl: int = 3600
    clock_skew: int = 5
    max_age: int = 30
    require: tuple[str, ...] = ()
    offline: str = "fail-closed"
    allow_break: bool = True


class Guard(NamedTuple):
    paths: tuple[str, ...]
    tier: str
    why: str = ""


# NamedTuples, not dataclasses: importing dataclasses (with inspect) cost the hooks ~14 ms.
# Defaults are shared between instances, so the mappings are read-only.
class Config(NamedTuple):
    remote: RemoteConfig = RemoteConfig()
    claims: ClaimsConfig = ClaimsConfig()
    rules_file: str = "RULES.md"
    checks: Mapping[str, str] = MappingProxyType(dict.fromkeys(CHECK_NAMES, "enforce"))
    sync_protected: tuple[str, ...] = ("main", "release/*")
    sync_max_behind: int = 0
    guards: tuple[Guard, ...] = ()
    roles: Mapping[str, tuple[str, ...]] = MappingProxyType({})
    agents: Mapping[str, str] = MappingProxyType({})
    path: Path | None = None  # where it was read from; None means all defaults


T = TypeVar("T")


class _Reader:
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


def _str(v: Any) -> str:
    if not isinstance(v, str) or not v:
        raise ValueError(f"expected a non-empty string, got {v!r}")
    return v


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise ValueError(f"expected true or false, got {v!r}")
    return v


def _int0(v: Any) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        raise ValueError(f"expected a whole number >= 0, got {v!r}")
    return v


def _strs(v: Any) -> tuple[str, ...]:
    if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
        raise ValueError(f"expected a list of non-empty strings, got {v!r}")
    return tuple(v)


def _duration(v: Any) -> int:
    if isinstance(v, int) and not isinstance(v, bool) and v > 0:
        return v
    if not isinstance(v, str):
        raise ValueError(f'expected a duration such as "30m", got {v!r}')
    from gitcoord.core.errors import UsageError

    try:
        return parse_duration(v)
    except UsageError as exc:
        raise ValueError(exc.message) from None


def _one_of(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def conv(v: Any) -> str:
        if v not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {v!r}")
        return str(v)

    return conv


def _toml(text: str, source: str) -> dict[str, Any]:
    import tomllib  # deferred: a repository without gitcoord.toml never needs it

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}", fix=f"edit {source}") from None


def parse_config(text: str, source: str = CONFIG_FILE) -> Config:
    """Validate the TOML `text`: every table and key known, every value of its type."""
    reader = _Reader(text, source)
    doc = _toml(text, source)
    known = ("remote", "claims", "rules", "checks", "sync", "guard", "roles", "agents")
    for key in doc:
        if key not in known:
            raise reader.fail("", key, f"unknown table or key (known: {', '.join(known)})")
    r = reader.table(doc, "remote", ("name", "url", "base"))
    remote = RemoteConfig(
        name=reader.get(r, "remote", "name", "origin", _str),
        url=reader.get(r, "remote", "url", None, _str),
        base=reader.get(r, "remote", "base", None, _str),
    )
    claims = _claims(reader, doc)
    rules = reader.table(doc, "rules", ("file",))
    checks_tbl = reader.table(doc, "checks", CHECK_NAMES)
    checks = {
        name: reader.get(checks_tbl, "checks", name, "enforce", _one_of(CHECK_MODES))
        for name in CHECK_NAMES
    }
    s = reader.table(doc, "sync", ("protected", "max_behind"))
    guards = _guards(reader, doc)
    roles = _roles(reader, doc)
    agents = _agents(reader, doc, roles)
    return Config(
        remote=remote,
        claims=claims,
        rules_file=reader.get(rules, "rules", "file", "RULES.md", _str),
        checks=checks,
        sync_protected=reader.get(s, "sync", "protected", ("main", "release/*"), _strs),
        sync_max_behind=reader.get(s, "sync", "max_behind", 0, _int0),
        guards=guards,
        roles=roles,
        agents=agents,
    )


def _claims(reader: _Reader, doc: dict[str, Any]) -> ClaimsConfig:
    c = reader.table(
        doc, "claims", ("ttl", "clock_skew", "max_age", "require", "offline", "allow_break")
    )
    return ClaimsConfig(
        ttl=reader.get(c, "claims", "ttl", 3600, _duration),
        clock_skew=reader.get(c, "claims", "clock_skew", 5, _skew),
        max_age=reader.get(c, "claims", "max_age", 30, _skew),
        require=reader.get(c, "claims", "require", (), _strs),
        offline=reader.get(c, "claims", "offline", "fail-closed", _one_of(OFFLINE_POLICIES)),
        allow_break=reader.get(c, "claims", "allow_break", True, _bool),
    )


def _guards(reader: _Reader, doc: dict[str, Any]) -> tuple[Guard, ...]:
    guards_raw = doc.get("guard", [])
    if not isinstance(guards_raw, list):
        raise reader.fail("guard", None, "must be an array of tables: [[guard]]")
    guards = []
    for g in guards_raw:
        if not isinstance(g, dict):
            raise reader.fail("guard", None, "must be an array of tables: [[guard]]")
        for key in g:
            if key not in ("paths", "tier", "why"):
                raise reader.fail("guard", key, "unknown key (known: paths, tier, why)")
        if "paths" not in g:
            raise reader.fail("guard", None, "missing key 'paths'")
        guards.append(
            Guard(
                paths=reader.get(g, "guard", "paths", (), _strs),
                tier=reader.get(g, "guard", "tier", "block", _one_of(GUARD_TIERS)),
                why=reader.get(g, "guard", "why", "", str),
            )
        )
    return tuple(guards)


def _roles(reader: _Reader, doc: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    roles_raw = doc.get("roles", {})
    if not isinstance(roles_raw, dict):
        raise reader.fail("roles", None, "must be a table of [roles.NAME]")
    roles: dict[str, tuple[str, ...]] = {}
    for name, body in roles_raw.items():
        table = f"roles.{name}"
        if not isinstance(body, dict):
            raise reader.fail(table, None, "must be a table with a 'write' list")
        for key in body:
            if key != "write":
                raise reader.fail(table, key, "unknown key (known: write)")
        roles[name] = reader.get(body, table, "write", (), _strs)
    return roles


def _agents(
    reader: _Reader, doc: dict[str, Any], roles: dict[str, tuple[str, ...]]
) -> dict[str, str]:
    agents_raw = reader.table(doc, "agents", tuple(doc.get("agents", {}) or ()))
    agents: dict[str, str] = {}
    for agent, role in agents_raw.items():
        role_name = reader.get(agents_raw, "agents", agent, "", _str)
        if role_name not in roles:
            raise reader.fail("agents", agent, f"role {role!r} is not defined in [roles]")
        agents[agent] = role_name
    return agents


def _skew(v: Any) -> int:
    if isinstance(v, int) and not isinstance(v, bool) and v == 0:
        return 0
    if v == "0s":
        return 0
    return _duration(v)


def load_config(toplevel: Path) -> Config:
    """The repository's gitcoord.toml, or all defaults when there is none."""
    path = toplevel / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    return parse_config(text, CONFIG_FILE)._replace(path=path)


def coordination_remote(config: Config) -> tuple[str, str]:
    """The remote claims live on (a name or URL), and the key naming its mirror and snapshot."""
    url = config.remote.url
    if url:
        from hashlib import sha256  # only for a separate coordination URL

        return url, "url-" + sha256(url.encode()).hexdigest()[:12]
    return config.remote.name, config.remote.name
