"""What the server refuses on branches: losing commits of a protected branch, a push that
unprotects one, and commits that change a path another agent holds a live claim on."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Sequence

from gitcoord.core.claim import Claim
from gitcoord.core.overlap import PathIndex
from gitcoord.git.bare import CommitChanges
from gitcoord.policy.agents import commit_agent
from gitcoord.policy.sync import protected_by
from gitcoord.server.policy import BRANCHES, MAX_SHOWN, Pusher, Refusal, describe
from gitcoord.server.refchange import RefChange
from gitcoord.server.settings import ServerSettings


def protected(branch_ref: str, patterns: Iterable[str]) -> bool:
    """Whether a pushed ref is a branch that a pattern protects (policy/sync.protected_by,
    the pre-push hook's rule too)."""
    name = branch_ref[len(BRANCHES) :]
    return branch_ref.startswith(BRANCHES) and protected_by(name, patterns) is not None


def check_protected(
    changes: Sequence[RefChange],
    patterns: Sequence[str],
    is_ancestor: Callable[[str, str], bool],
) -> list[Refusal]:
    """Protected branches never lose commits: no deletion, no non-fast-forward."""
    refusals = []
    for ch in changes:
        if ch.creates or not protected(ch.ref, patterns):
            continue
        branch = ch.ref[len(BRANCHES) :]
        if ch.deletes:
            refusals.append(
                Refusal(
                    ch.ref,
                    f"{branch} is protected ([sync] protected); deleting it would drop its commits",
                    "keep the branch; a server admin unprotects an obsolete pattern with "
                    "`gitcoord server install REPO --unprotect PATTERN`",
                )
            )
        elif not is_ancestor(ch.old, ch.new):
            refusals.append(
                Refusal(
                    ch.ref,
                    f"{branch} is protected ([sync] protected); this push would drop commits the "
                    f"server has ({ch.old[:12]} is not in the new history), even with --force",
                    f"integrate first: `git pull --rebase origin {branch}`, then push again",
                )
            )
    return refusals


def enforced_protection(settings: ServerSettings, team_patterns: Sequence[str]) -> list[str]:
    """The protected patterns the server enforces: its own recorded list (which no push can
    change) together with `[sync] protected` of gitcoord.toml on the default branch."""
    return list(dict.fromkeys([*settings.protected, *team_patterns]))


def check_protection_kept(
    ref: str, before: Sequence[str], after: Sequence[str], recorded: Sequence[str], repo: str
) -> list[Refusal]:
    """A push may not drop from gitcoord.toml's [sync] protected a pattern the server itself
    records: the branch a pattern protects must not unprotect itself. An admin removes it
    from the server first."""
    dropped = [p for p in before if p not in after and p in recorded]
    if not dropped:
        return []
    names = ", ".join(repr(p) for p in dropped)
    flags = " ".join(f"--unprotect {shlex.quote(p)}" for p in dropped)
    return [
        Refusal(
            ref,
            f"this push removes {names} from [sync] protected in gitcoord.toml, but the server "
            "protects it (gitcoord.protected): a push cannot unprotect a branch",
            f"keep it in gitcoord.toml; or have a server admin run "
            f"`gitcoord server install {shlex.quote(repo)} {flags}`, then push again",
        )
    ]


def check_claimed_paths(
    ref: str,
    commits: Sequence[CommitChanges],
    live: Sequence[Claim],
    pusher: Pusher,
    now: float,
) -> list[Refusal]:
    """A pushed commit may not change a path that another agent holds a live claim on."""
    found: list[tuple[CommitChanges, str, Claim]] = []
    holders = sorted({c.agent for c in live})
    index = PathIndex(live)
    for commit in commits:
        agent = commit_agent(commit.agent_trailer, commit.author_email, holders)
        first: dict[int, str] = {}  # each claim's first path the commit changes under it
        for p in commit.paths:
            for i in index.covering(p):
                first.setdefault(i, p)
        for i in sorted(first):
            claim = live[i]
            mine = pusher.owns(claim.agent) if pusher.gl_user else claim.agent == agent
            if not mine:
                found.append((commit, first[i], claim))
    if not found:
        return []
    lines = [
        f"commit {c.oid[:12]} changes {p}: {describe(claim, now)}"
        for c, p, claim in found[:MAX_SHOWN]
    ]
    if len(found) > MAX_SHOWN:
        lines.append(f"and {len(found) - MAX_SHOWN} more")
    holder = found[0][2]
    return [
        Refusal(
            ref,
            "changes paths another agent holds:\n    " + "\n    ".join(lines),
            f"ask {holder.agent} to release {holder.path} (`git claim -d {holder.path}`) or wait "
            f"for it (`git claim --wait {holder.path}`), then push again",
        )
    ]
