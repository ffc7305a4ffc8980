"""What a checkout holds that its remote does not: a dirty working tree, unpushed commits.

Read by `gitcoord sync-check`, which deploys only what the remote has.
"""

from __future__ import annotations

from typing import NamedTuple

from gitcoord.git.history import count_commits
from gitcoord.git.process import run_git


class Dirty(NamedTuple):
    paths: list[str]  # the first `limit` of them, in git's order
    total: int  # all of them


def dirty_paths(cwd: str, limit: int) -> Dirty:
    """Paths with changes not committed: tracked ones changed in the index or the working
    tree, and untracked files that are not ignored (an untracked directory once, `dir/`).

    Untracked files are asked for whatever `status.showUntrackedFiles` says, a rename is
    its two paths, and no index lock is taken (another git may be running here).
    """
    res = run_git(
        [
            "--no-optional-locks",
            "status",
            "--porcelain=v1",
            "-z",
            "--no-renames",
            "--untracked-files=normal",
        ],
        cwd=cwd,
    )
    # Each entry is "XY PATH" NUL; with --no-renames never a second path.
    entries = [entry for entry in res.out.split("\0") if len(entry) > 3]
    return Dirty([entry[3:] for entry in entries[:limit]], len(entries))


def unpushed_count(cwd: str, remote: str) -> int:
    """Commits of HEAD that no remote-tracking branch of `remote` has, as last fetched."""
    return count_commits(cwd, "HEAD", "--not", f"--remotes={remote}")
