"""The freshness check (`[checks] fresh`): a claim on a path that the base branch changed
after HEAD's merge base. The claimer would edit an old copy; the fix is to rebase first.

Pure: the base's commits that HEAD lacks come from git/baselog.py, the claimed paths from
the command line, and which commits touch which claim is ClaimPath.covers (pattern claims
included), not a git pathspec.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from gitcoord.core.change import CommitPaths
from gitcoord.core.errors import Refused
from gitcoord.core.paths import ClaimPath
from gitcoord.core.textsafe import printable
from gitcoord.policy.findings import DEFAULT_WHY, Finding

NAMED = 5  # commits a message names, newest first; "and N more" after them
JSON_NAMED = 50  # commits a --json entry lists; `count` says how many there are


class Base(NamedTuple):
    """The base branch as the messages name it."""

    shown: str  # "origin/main", or "origin's HEAD" when the branch's name is unknown
    fix: str  # the command that brings HEAD up to it
    partial: bool = False  # only the newest of its commits that HEAD lacks were read


class Stale(NamedTuple):
    path: ClaimPath  # as claimed
    commits: tuple[CommitPaths, ...]  # the base's commits changing it, newest first


def stale_paths(claimed: Sequence[ClaimPath], commits: Sequence[CommitPaths]) -> list[Stale]:
    """Each claimed path that one of `commits` changes, with those commits."""
    changed: dict[str, list[int]] = {}  # file -> positions in `commits`
    for i, commit in enumerate(commits):
        for path in commit.paths:
            changed.setdefault(path, []).append(i)
    out = []
    for claim in dict.fromkeys(claimed):
        hits = sorted({i for path, at in changed.items() if claim.covers(path) for i in at})
        if hits:
            out.append(Stale(claim, tuple(commits[i] for i in hits)))
    return out


def _named(commits: Sequence[CommitPaths], partial: bool) -> str:
    shown = ", ".join(f'{c.oid[:12]} "{printable(c.subject)}"' for c in commits[:NAMED])
    more = len(commits) - NAMED
    if more > 0:
        shown += f" and {'at least ' if partial else ''}{more} more"
    count = f"{len(commits)}{'+' if partial else ''}"
    return f"{count} commit{'s' if len(commits) != 1 else ''}: {shown}"


def finding(stale: Stale, mode: str, base: Base) -> Finding:
    # The branch's name may come from the remote (its HEAD): shown escaped, as the subjects.
    path, shown = printable(str(stale.path)), printable(base.shown)
    return Finding(
        check="fresh",
        mode=mode,
        path=str(stale.path),
        subject=base.shown,
        message=f"{path} changed on {shown} after your HEAD's merge base, in "
        + _named(stale.commits, base.partial),
        reason=DEFAULT_WHY["fresh"],
        fix=printable(base.fix),
    )


def refusal(stale: Sequence[Stale], base: Base, claiming: bool) -> Refused:
    """`[checks] fresh = "enforce"`: the claim (or --check) names every stale path."""
    lines = [finding(s, "enforce", base).message for s in stale]
    then = ", then claim again" if claiming else ""
    return Refused(
        'refused by [checks] fresh = "enforce": '
        + "\n  ".join(lines)
        + ("\n  nothing was claimed" if claiming else ""),
        fix=printable(base.fix) + then,
    )


def to_json(stale: Stale, mode: str, base: Base) -> dict[str, Any]:
    return {
        "path": str(stale.path),
        "base": base.shown,
        "mode": mode,
        "count": len(stale.commits),
        "commits": [{"oid": c.oid, "subject": c.subject} for c in stale.commits[:JSON_NAMED]],
        "fix": base.fix,
    }
