"""A bare (served) repository: its layout, and reading it from inside its hooks.

Every git process that reads for a hook keeps the hook's GIT_* environment (keep_repo_env):
during pre-receive the pushed objects sit in a quarantine directory that only that
environment names. Objects are sized with `cat-file --batch-check` before any is read, so a
hostile multi-gigabyte object is refused by its size, never loaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from gitcoord.core.refnames import LOG
from gitcoord.git.process import run_git

# The most new commits one push may bring to one audit-log ref; each is read and parsed.
MAX_NEW_LOG_COMMITS = 1000


class BareLayout(NamedTuple):
    is_bare: bool
    git_dir: Path
    hooks: Path  # as git printed it: relative to the repository unless absolute


def bare_layout(where: Path) -> BareLayout | None:
    """Whether `where` is a bare repository, its git dir and hooks directory (core.hooksPath
    honoured); None when it is no git repository."""
    res = run_git(
        ["rev-parse", "--is-bare-repository", "--absolute-git-dir", "--git-path", "hooks"],
        cwd=where,
        check=False,
    )
    lines = res.out.splitlines()
    if res.returncode != 0 or len(lines) != 3:
        return None
    return BareLayout(lines[0] == "true", Path(lines[1]), Path(lines[2]))


class ObjectInfo(NamedTuple):
    oid: str
    type: str
    size: int


def _git(git_dir: Path, args: Sequence[str], input: bytes | None = None) -> bytes:
    return run_git(args, cwd=git_dir, keep_repo_env=True, input=input).stdout


def object_info(git_dir: Path, names: Iterable[str]) -> dict[str, ObjectInfo]:
    """Type and size of each name (an OID or `rev:path`); missing names are left out."""
    wanted = list(dict.fromkeys(names))
    if not wanted:
        return {}
    out = _git(git_dir, ["cat-file", "--batch-check"], "".join(n + "\n" for n in wanted).encode())
    found = {}
    for name, line in zip(wanted, out.decode().splitlines(), strict=False):
        parts = line.split(" ")
        if len(parts) == 3 and parts[2].isdigit():
            found[name] = ObjectInfo(parts[0], parts[1], int(parts[2]))
    return found


def new_log_commits(git_dir: Path, new: str, limit: int = MAX_NEW_LOG_COMMITS) -> list[str]:
    """Commits reachable from `new` that no audit-log ref on the server reaches yet, newest
    first; at most `limit` + 1 (one more than allowed tells the caller there are too many).
    Commits only a branch reaches count as new: they were never checked as log entries."""
    args = ["rev-list", f"--max-count={limit + 1}", new, "--not", f"--glob={LOG}*"]
    out = _git(git_dir, args)
    return out.decode("ascii", "replace").split()


def current_refs(git_dir: Path, prefix: str) -> dict[str, str]:
    out = _git(git_dir, ["for-each-ref", "--format=%(objectname) %(refname)", prefix]).decode()
    refs = {}
    for line in out.splitlines():
        oid, _, ref = line.partition(" ")
        refs[ref] = oid
    return refs


class CommitChanges(NamedTuple):
    oid: str
    author_email: str
    agent_trailer: str  # the last `Gitcoord-Agent:` trailer, or ""
    paths: tuple[str, ...]  # added, modified or deleted; a rename counts as both sides
    session_trailer: str = ""  # the last `Gitcoord-Session:` trailer, or ""


def new_commits(git_dir: Path, new: str) -> list[CommitChanges]:
    """Commits reachable from `new` that no branch on the server has yet, with their paths."""
    return _commits(git_dir, [new, "--not", "--branches"])


def landed_commits(git_dir: Path, old: str | None, new: str, limit: int) -> list[CommitChanges]:
    """The commits of old..new (every commit of `new` when `old` is None), newest first, at
    most `limit`: what a branch update brought to the branch."""
    return _commits(git_dir, [f"--max-count={limit}", new, *(["--not", old] if old else [])])


def _commits(git_dir: Path, revs: Sequence[str]) -> list[CommitChanges]:
    out = _git(
        git_dir,
        [
            "log",
            "-z",
            "--no-renames",
            "--name-only",
            "--format=%x01%H%x00%ae%x00%(trailers:key=Gitcoord-Agent,valueonly,separator=%x02)"
            "%x00%(trailers:key=Gitcoord-Session,valueonly,separator=%x02)",
            *revs,
            "--",
        ],
    ).decode("utf-8", "surrogateescape")
    commits = []
    for record in out.split("\x01")[1:]:
        oid, email, trailer, session, rest = [*record.split("\0", 4), "", "", "", ""][:5]
        paths = tuple(p for p in rest.lstrip("\n").split("\0") if p)
        commits.append(CommitChanges(oid, email, _last(trailer), paths, _last(session)))
    return commits


def _last(trailers: str) -> str:
    """The last of `%(trailers:...,separator=%x02)`'s values, or ""."""
    return trailers.strip().split("\x02")[-1].strip() if trailers.strip() else ""


def count_missing(git_dir: Path, tip: str, having: str) -> int:
    """How many commits `tip` has that `having` lacks (0: `having` contains `tip`)."""
    out = _git(git_dir, ["rev-list", "--count", tip, "--not", having, "--"])
    return int(out.decode("ascii", "replace").strip() or 0)


def is_ancestor(git_dir: Path, old: str, new: str) -> bool:
    res = run_git(
        ["merge-base", "--is-ancestor", old, new], cwd=git_dir, keep_repo_env=True, check=False
    )
    return res.returncode == 0


def update_refs(
    git_dir: Path, updates: Sequence[tuple[str, str | None, str | None]], env: dict[str, str]
) -> bool:
    """Apply (ref, new or None to delete, expected old or None for "must not exist") in one
    `update-ref --stdin` transaction, each leased on its old value; whether it was applied.
    `env`: added to the hook's environment (the transaction runs the hooks again)."""
    zero = "0" * 40
    lines = "".join(
        f"delete {ref} {old}\n" if new is None else f"update {ref} {new} {old or zero}\n"
        for ref, new, old in updates
    )
    res = run_git(
        ["update-ref", "--stdin"],
        cwd=git_dir,
        keep_repo_env=True,
        env=env,
        input=lines.encode(),
        check=False,
    )
    return res.returncode == 0
