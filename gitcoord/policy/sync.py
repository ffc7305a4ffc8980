"""The sync checks: a push to a `[sync] protected` branch may not drop the remote's commits,
and a push that moves a `[sync] deploy` branch must contain the base tip."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from gitcoord.core.config import Config
from gitcoord.core.patterns import first_whole_match
from gitcoord.policy.findings import DEFAULT_WHY, Finding, mode_of

DEPLOY_WHY = (
    "deploy what the base already has: a deploy from a branch without the base tip ships "
    "without work that has landed"
)


class PushCheck(NamedTuple):
    """One ref update of a push, as far as sync is concerned."""

    branch: str  # the remote branch name, e.g. "main"
    remote: str
    missing: int  # commits the remote branch has that the pushed commit lacks
    deleting: bool = False
    # For a deploy branch other than the base: the base branch, and how many commits of
    # its tip the pushed commit lacks ("" and 0 otherwise).
    base: str = ""
    behind: int = 0


def protected_by(branch: str, patterns: Iterable[str]) -> str | None:
    """The protected-branch pattern naming `branch` (a whole-name glob match, `*` stopping
    at `/`), or None: the one rule of the pre-push hook and the server hooks."""
    return first_whole_match(patterns, branch)


def is_protected(branch: str, config: Config) -> str | None:
    """The `[sync] protected` pattern naming `branch`, or None."""
    return protected_by(branch, config.sync_protected)


def deploy_pattern(branch: str, config: Config) -> str | None:
    """The `[sync] deploy` pattern naming `branch` (the same matcher), or None."""
    return protected_by(branch, config.sync_deploy)


def sync_fix(remote: str, base: str) -> str:
    """How a deploy branch takes in the base tip: a merge (a rebase would rewrite the
    deploy branch's own commits, and the push would no longer fast-forward); a remote
    given as a URL has no tracking ref."""
    if "/" in remote or ":" in remote:
        return f"git pull --no-rebase {remote} {base}, then push again"
    return f"git merge {remote}/{base}, then push again"


def deploy_finding(
    p: PushCheck, config: Config, why: str = "", mover: str = "this push"
) -> Finding | None:
    """A move of a deploy branch to a commit lacking the base tip (`mover` says what moves
    it: "this push" at pre-push, "this change" in CI); None when the move is allowed. A
    push to the base itself and a deletion are not deploys."""
    mode = mode_of(config, "sync")
    pattern = deploy_pattern(p.branch, config)
    if mode == "off" or pattern is None or p.deleting or not p.base or p.base == p.branch:
        return None
    if p.behind <= 0:
        return None
    return Finding(
        "sync",
        mode,
        p.branch,
        pattern,
        f"{mover} moves {p.branch} (deploy branch {pattern!r}) to a commit {p.behind} "
        f"commit(s) behind {p.remote}/{p.base}",
        why or DEPLOY_WHY,
        sync_fix(p.remote, p.base),
    )


def sync_findings(
    pushes: Iterable[PushCheck], config: Config, citations: Mapping[str, str] | None = None
) -> list[Finding]:
    mode = mode_of(config, "sync")
    if mode == "off":
        return []
    cited = (citations or {}).get("sync")
    out = []
    for p in pushes:
        pattern = is_protected(p.branch, config)
        if pattern is not None and p.missing > 0:
            verb = "deleting" if p.deleting else "this push to"
            out.append(
                Finding(
                    "sync",
                    mode,
                    p.branch,
                    pattern,
                    f"{verb} {p.branch} would drop {p.missing} commit(s) that {p.remote} has "
                    f"(protected branch {pattern!r}; --force does not override this)",
                    cited or DEFAULT_WHY["sync"],
                    f"git pull --rebase {p.remote} {p.branch}   (then push again)",
                )
            )
        deploy = deploy_finding(p, config, cited or "")
        if deploy is not None:
            out.append(deploy)
    return out
