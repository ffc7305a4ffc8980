"""The sync check: a push to a `[sync] protected` branch may not drop the remote's commits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from gitcoord.core.config import Config
from gitcoord.core.patterns import first_whole_match
from gitcoord.policy.findings import DEFAULT_WHY, Finding, mode_of


class PushCheck(NamedTuple):
    """One ref update of a push, as far as sync is concerned."""

    branch: str  # the remote branch name, e.g. "main"
    remote: str
    missing: int  # commits the remote branch has that the pushed commit lacks
    deleting: bool = False


def protected_by(branch: str, patterns: Iterable[str]) -> str | None:
    """The protected-branch pattern naming `branch` (a whole-name glob match, `*` stopping
    at `/`), or None: the one rule of the pre-push hook and the server hooks."""
    return first_whole_match(patterns, branch)


def is_protected(branch: str, config: Config) -> str | None:
    """The `[sync] protected` pattern naming `branch`, or None."""
    return protected_by(branch, config.sync_protected)


def sync_findings(
    pushes: Iterable[PushCheck], config: Config, citations: Mapping[str, str] | None = None
) -> list[Finding]:
    mode = mode_of(config, "sync")
    if mode == "off":
        return []
    why = (citations or {}).get("sync") or DEFAULT_WHY["sync"]
    out = []
    for p in pushes:
        pattern = is_protected(p.branch, config)
        if pattern is None or p.missing <= 0:
            continue
        verb = "deleting" if p.deleting else "this push to"
        out.append(
            Finding(
                "sync",
                mode,
                p.branch,
                pattern,
                f"{verb} {p.branch} would drop {p.missing} commit(s) that {p.remote} has "
                f"(protected branch {pattern!r}; --force does not override this)",
                why,
                f"git pull --rebase {p.remote} {p.branch}   (then push again)",
            )
        )
    return out
