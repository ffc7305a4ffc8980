"""The roles check: an agent with a role writes only where the role's patterns allow."""

from __future__ import annotations

from collections.abc import Sequence

from gitcoord.core.config import Config
from gitcoord.core.errors import UsageError
from gitcoord.core.patterns import first_match
from gitcoord.policy.findings import Finding, PolicyInput, leave_out, mode_of, why


def resolve_role(config: Config, agent: str, env_role: str | None) -> str | None:
    """GITCOORD_ROLE wins over [agents]; None means the agent has no role (writes anywhere)."""
    if env_role:
        if env_role not in config.roles:
            known = ", ".join(sorted(config.roles)) or "none defined"
            raise UsageError(
                f"GITCOORD_ROLE={env_role!r} is not a role in gitcoord.toml (known: {known})",
                fix="unset GITCOORD_ROLE, or add [roles." + env_role + "] to gitcoord.toml",
            )
        return env_role
    return config.agents.get(agent)


def role_findings(inp: PolicyInput, paths: Sequence[str]) -> list[Finding]:
    if inp.role is None:
        return []
    allowed = inp.config.roles.get(inp.role, ())
    shown = ", ".join(allowed) or "nothing"
    mode = mode_of(inp.config, "roles")
    return [
        Finding(
            "roles",
            mode,
            p,
            inp.role,
            f"{p} is outside role {inp.role!r}, which may write only: {shown}",
            why(inp, "roles"),
            f"{leave_out(inp, p)}   (or add a pattern to [roles.{inp.role}] write)",
        )
        for p in paths
        if first_match(allowed, p) is None
    ]
