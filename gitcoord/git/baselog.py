"""What a fetched base branch has that HEAD lacks: its commits and the paths each changes,
read in one `git log` (the freshness check, store/freshness.py)."""

from __future__ import annotations

from gitcoord.core.change import CommitPaths
from gitcoord.git.process import run_git


def commits_ahead(cwd: str, tip: str, limit: int) -> list[CommitPaths] | None:
    """The commits reachable from `tip` and not from HEAD (merge-base(HEAD, tip)..tip), newest
    first, at most `limit`, merges left out (their changes are their parents'); each with
    the paths it adds, changes or deletes (a rename: both names). None when there is nothing
    to compare: HEAD is unborn or `tip` names no commit here."""
    # Each commit: NUL, OID, NUL, subject, then (-z) its paths, the first after a newline,
    # each NUL-terminated. No path is empty, so an empty field opens the next commit; a
    # subject (%s) holds no NUL and no newline.
    args = ["log", "-z", "--no-merges", "--no-renames", "--name-only", "--format=%x00%H%x00%s"]
    res = run_git([*args, f"--max-count={limit}", "HEAD.." + tip, "--"], cwd=cwd, check=False)
    if res.returncode != 0:
        return None
    return parse_log(res.out)


def parse_log(text: str) -> list[CommitPaths]:
    commits: list[CommitPaths] = []
    fields = text.split("\0")
    i = 0
    while i < len(fields):
        if fields[i] or i + 2 >= len(fields):  # (trailing terminators)
            i += 1
            continue
        oid, subject = fields[i + 1], fields[i + 2]
        i += 3
        paths: list[str] = []
        while i < len(fields) and fields[i]:
            paths.append(fields[i].removeprefix("\n") if not paths else fields[i])
            i += 1
        commits.append(CommitPaths(oid, subject, tuple(paths)))
    return commits
