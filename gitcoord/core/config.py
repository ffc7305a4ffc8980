"""gitcoord.toml: every key has a default; an unknown key or a bad value names the key and line."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from gitcoord.core.config_tasks import TasksConfig, read_pools, read_tasks
from gitcoord.core.configfields import (
    Reader,
    boolean,
    duration,
    int0,
    nonempty_str,
    one_of,
    skew,
    strs,
)
from gitcoord.core.durations import format_duration
from gitcoord.core.errors import ConfigError

CONFIG_FILE = "gitcoord.toml"
CHECK_MODES = ("off", "monitor", "warn", "enforce")
CHECK_NAMES = ("claims", "rules", "guards", "roles", "sync", "fresh")
# Every check refuses by default but freshness, which warns: a claim on a path the base
# changed since HEAD's merge base is usually made right before `git pull --rebase`.
CHECK_DEFAULTS: Mapping[str, str] = MappingProxyType(
    {**dict.fromkeys(CHECK_NAMES, "enforce"), "fresh": "warn"}
)
GUARD_TIERS = ("block", "approve", "warn")
READ_RULES = ("allow", "ask", "deny")  # [[guard]] read: what an agent's read of the path gets
OFFLINE_POLICIES = ("fail-closed", "fail-open")
# No lease may pass this, whatever max_ttl says: beyond it the expiry is no longer a date a
# claim can carry (year 10000), and a claim nobody renews for a year is no lease at all.
LONGEST_LEASE = 366 * 86400
# gitcoord.toml and the rules file are read from commits (some fetched from others): a
# larger one is refused unread.
MAX_POLICY_BYTES = 1 << 20


class RemoteConfig(NamedTuple):
    name: str = "origin"
    url: str | None = None  # a separate coordination remote
    base: str | None = None  # default: the remote's HEAD
    timeout: int = 30  # seconds a fetch or push may take before the remote counts as unanswered


class ClaimsConfig(NamedTuple):
    ttl: int = 3600
    clock_skew: int = 5
    max_age: int = 30
    require: tuple[str, ...] = ()
    offline: str = "fail-closed"
    allow_break: bool = True
    auto: bool = False  # the edit-time guard claims a free path at a session's first write
    max_ttl: int = 3 * 86400  # the longest lease a claim may ask for
    publish_location: bool = True  # record host and working tree in claims (others read them)
    release_on_land: bool = False  # release a holder's claims when its commits reach the base
    promote_after: int = 120  # a writer waiting this long holds off new read/intent claims


class Guard(NamedTuple):
    paths: tuple[str, ...]
    tier: str
    why: str = ""
    read: str = "allow"  # allow | ask | deny: an agent's read of the path (edit-time guard)


# NamedTuples, not dataclasses: importing dataclasses (with inspect) cost the hooks ~14 ms.
# Defaults are shared between instances, so the mappings are read-only.
class Config(NamedTuple):
    remote: RemoteConfig = RemoteConfig()
    claims: ClaimsConfig = ClaimsConfig()
    rules_file: str = "RULES.md"
    checks: Mapping[str, str] = CHECK_DEFAULTS
    sync_protected: tuple[str, ...] = ("main", "release/*")
    sync_max_behind: int = 0
    sync_deploy: tuple[str, ...] = ()  # branches a push may move only to a commit with the base tip
    rules_exempt: tuple[str, ...] = ()  # commit authors (bots) CI does not ask for trailers
    guards: tuple[Guard, ...] = ()
    roles: Mapping[str, tuple[str, ...]] = MappingProxyType({})
    agents: Mapping[str, str] = MappingProxyType({})  # agent -> role
    agent_emails: Mapping[str, str] = MappingProxyType({})  # lower-cased e-mail -> agent
    tasks: TasksConfig = TasksConfig()
    pools: Mapping[str, int] = MappingProxyType({})  # [pools.NAME] slots: running tasks at most
    # Where it was read from ("gitcoord.toml", "origin/main"); None: the defaults, no policy
    # file at all, so there is no policy in force for self-protection to keep (adoption).
    source: str | None = None


def _toml(text: str, source: str) -> dict[str, Any]:
    import tomllib  # deferred: a repository without gitcoord.toml never needs it

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}", fix=f"edit {source}") from None


def parse_config(text: str, source: str = CONFIG_FILE) -> Config:
    """Validate the TOML `text`: every table and key known, every value of its type."""
    reader = Reader(text, source)
    doc = _toml(text, source)
    _known_tables(reader, doc)
    r = reader.table(doc, "remote", ("name", "url", "base", "timeout"))
    remote = RemoteConfig(
        name=reader.get(r, "remote", "name", "origin", nonempty_str),
        url=reader.get(r, "remote", "url", None, nonempty_str),
        base=reader.get(r, "remote", "base", None, nonempty_str),
        timeout=reader.get(r, "remote", "timeout", 30, duration),
    )
    if remote.timeout > 86400:  # beyond any wait worth making, and past what poll() takes
        raise reader.fail("remote", "timeout", "must be at most 1d")
    claims = _claims(reader, doc)
    rules = reader.table(doc, "rules", ("file", "exempt"))
    checks_tbl = reader.table(doc, "checks", CHECK_NAMES)
    checks = {
        name: reader.get(checks_tbl, "checks", name, CHECK_DEFAULTS[name], one_of(CHECK_MODES))
        for name in CHECK_NAMES
    }
    s = reader.table(doc, "sync", ("protected", "max_behind", "deploy"))
    guards = _guards(reader, doc)
    roles = _roles(reader, doc)
    agents, agent_emails = _agents(reader, doc, roles)
    return Config(
        remote=remote,
        claims=claims,
        rules_file=reader.get(rules, "rules", "file", "RULES.md", nonempty_str),
        checks=checks,
        sync_protected=reader.get(s, "sync", "protected", ("main", "release/*"), strs),
        sync_max_behind=reader.get(s, "sync", "max_behind", 0, int0),
        sync_deploy=reader.get(s, "sync", "deploy", (), strs),
        rules_exempt=reader.get(rules, "rules", "exempt", (), strs),
        guards=guards,
        roles=roles,
        agents=agents,
        agent_emails=agent_emails,
        tasks=read_tasks(reader, doc, claims.max_ttl),
        pools=read_pools(reader, doc),
        source=source,
    )


TABLES = (
    "remote",
    "claims",
    "rules",
    "checks",
    "sync",
    "guard",
    "roles",
    "agents",
    "tasks",
    "pools",
)


def _known_tables(reader: Reader, doc: dict[str, Any]) -> None:
    for key, value in doc.items():
        if key not in TABLES:
            problem = f"unknown table or key (known: {', '.join(TABLES)})"
            if isinstance(value, dict):  # a [table]: named with its header's line
                raise reader.fail(key, None, problem)
            raise reader.fail("", key, problem)


def _claims(reader: Reader, doc: dict[str, Any]) -> ClaimsConfig:
    known = ("ttl", "max_ttl", "clock_skew", "max_age", "require", "offline", "allow_break")
    more = ("publish_location", "auto", "release_on_land", "promote_after")
    c = reader.table(doc, "claims", (*known, *more))
    max_ttl = reader.get(c, "claims", "max_ttl", 3 * 86400, duration)
    if max_ttl > LONGEST_LEASE:
        raise reader.fail("claims", "max_ttl", "must be at most 366d")
    ttl = reader.get(c, "claims", "ttl", 3600, duration)
    if ttl > max_ttl:
        raise reader.fail(
            "claims", "ttl", f"must be at most [claims] max_ttl ({format_duration(max_ttl)})"
        )
    return ClaimsConfig(
        ttl=ttl,
        max_ttl=max_ttl,
        clock_skew=reader.get(c, "claims", "clock_skew", 5, skew),
        max_age=reader.get(c, "claims", "max_age", 30, skew),
        require=reader.get(c, "claims", "require", (), strs),
        offline=reader.get(c, "claims", "offline", "fail-closed", one_of(OFFLINE_POLICIES)),
        allow_break=reader.get(c, "claims", "allow_break", True, boolean),
        auto=reader.get(c, "claims", "auto", False, boolean),
        publish_location=reader.get(c, "claims", "publish_location", True, boolean),
        release_on_land=reader.get(c, "claims", "release_on_land", False, boolean),
        promote_after=reader.get(c, "claims", "promote_after", 120, duration),
    )


def _guards(reader: Reader, doc: dict[str, Any]) -> tuple[Guard, ...]:
    guards_raw = doc.get("guard", [])
    if not isinstance(guards_raw, list):
        raise reader.fail("guard", None, "must be an array of tables: [[guard]]")
    guards = []
    for g in guards_raw:
        if not isinstance(g, dict):
            raise reader.fail("guard", None, "must be an array of tables: [[guard]]")
        for key in g:
            if key not in ("paths", "tier", "why", "read"):
                raise reader.fail("guard", key, "unknown key (known: paths, tier, why, read)")
        if "paths" not in g:
            raise reader.fail("guard", None, "missing key 'paths'")
        guards.append(
            Guard(
                paths=reader.get(g, "guard", "paths", (), strs),
                tier=reader.get(g, "guard", "tier", "block", one_of(GUARD_TIERS)),
                why=reader.get(g, "guard", "why", "", str),
                read=reader.get(g, "guard", "read", "allow", one_of(READ_RULES)),
            )
        )
    return tuple(guards)


def _roles(reader: Reader, doc: dict[str, Any]) -> dict[str, tuple[str, ...]]:
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
        roles[name] = reader.get(body, table, "write", (), strs)
    return roles


def _agents(
    reader: Reader, doc: dict[str, Any], roles: dict[str, tuple[str, ...]]
) -> tuple[dict[str, str], dict[str, str]]:
    """[agents]: NAME = "role", or NAME = { role = "...", emails = [...] }. The e-mails
    attribute a commit without a Gitcoord-Agent trailer to NAME."""
    agents_raw = reader.table(doc, "agents", tuple(doc.get("agents", {}) or ()))
    agents: dict[str, str] = {}
    emails: dict[str, str] = {}
    for agent, body in agents_raw.items():
        if isinstance(body, dict):
            unknown = set(body) - {"role", "emails"}
            if unknown:
                raise reader.fail(
                    "agents", agent, f"unknown key {min(unknown)!r} (known: role, emails)"
                )
            role_name = reader.get(agents_raw, "agents", agent, "", lambda b: _role(b.get("role")))
            listed: tuple[str, ...] = reader.get(
                agents_raw, "agents", agent, (), lambda b: strs(b.get("emails", []))
            )
            for email in listed:
                emails[email.lower()] = agent
        else:
            role_name = reader.get(agents_raw, "agents", agent, "", nonempty_str)
        if role_name and role_name not in roles:
            raise reader.fail("agents", agent, f"role {role_name!r} is not defined in [roles]")
        if role_name:
            agents[agent] = role_name
    return agents, emails


def _role(v: Any) -> str:
    return "" if v is None else nonempty_str(v)


def load_config(toplevel: Path) -> Config:
    """The repository's gitcoord.toml, or all defaults when there is none."""
    path = toplevel / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    return parse_config(text, CONFIG_FILE)


def coordination_remote(config: Config) -> tuple[str, str]:
    """The remote claims live on (a name or URL), and the key naming its mirror and snapshot."""
    url = config.remote.url
    if url:
        from hashlib import sha256  # only for a separate coordination URL

        return url, "url-" + sha256(url.encode()).hexdigest()[:12]
    return config.remote.name, config.remote.name
