"""What a commit or a push changes, read from git, as `policy.Change` values.

Hooks run with GIT_INDEX_FILE set (`git commit -a` and `git commit PATH` commit from a
temporary index), so every call that reads the index keeps the hook's environment.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from gitcoord.core.change import Change
from gitcoord.core.errors import UsageError
from gitcoord.git.process import run_git


def parse_name_status(raw: bytes) -> list[Change]:
    """Parse `--name-status -z` output: STATUS NUL PATH NUL, or for R/C: STATUS NUL OLD NUL NEW NUL.

    `git log --format=` puts extra NULs between commits; a status is never empty, so empty
    tokens are skipped where a status is expected.
    """
    tokens = raw.decode("utf-8", "surrogateescape").split("\0")
    out: list[Change] = []
    i = 0
    while i < len(tokens):
        status = tokens[i].strip()
        i += 1
        if not status:
            continue
        letter = status[0]
        if letter in "RC":
            old, new = tokens[i], tokens[i + 1]
            i += 2
            out.append(Change(letter, new, old))
        else:
            out.append(Change(letter, tokens[i]))
            i += 1
    return out


def _git_dir(toplevel: Path) -> Path | None:
    """This working tree's git dir, read from `.git` (a directory, or a worktree's file)."""
    dot = toplevel / ".git"
    if dot.is_dir():
        return dot
    try:
        text = dot.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if text.startswith("gitdir: "):
        found = Path(text[len("gitdir: ") :])
        return found if found.is_absolute() else toplevel / found
    return None


def _diff_cached(cwd: str, *against: str) -> list[Change]:
    res = run_git(
        [
            "diff",
            "--cached",
            "--name-status",
            "-z",
            "-M",
            "--no-ext-diff",
            "--no-textconv",
            *against,
        ],
        cwd=cwd,
        keep_repo_env=True,
    )
    return parse_name_status(res.stdout)


def staged_changes(cwd: str) -> list[Change]:
    """What the commit being made changes. Concluding a merge, a path counts only when the
    result differs from both sides: what the other side changed is its work, not mine."""
    mine = _diff_cached(cwd)
    git_dir = _git_dir(Path(cwd))
    if git_dir is None or not (git_dir / "MERGE_HEAD").exists() or not mine:
        return mine
    theirs = {p for c in _diff_cached(cwd, "MERGE_HEAD") for p in c.touched}
    return [c for c in mine if any(p in theirs for p in c.touched)]


def commits_changes(cwd: str, include: Sequence[str], exclude: Sequence[str]) -> list[Change]:
    """Every path changed by the non-merge commits reachable from `include` but not from
    `exclude` or any remote-tracking ref (commits already on a remote were checked when they
    were pushed; a merge from the base brings others' work, not mine)."""
    if not include:
        return []
    res = run_git(
        [
            "log",
            "--no-merges",
            "--ignore-missing",  # a remote tip this clone never fetched excludes nothing
            "--format=",
            "--name-status",
            "-z",
            "-M",
            *include,
            "--not",
            "--remotes",
            *exclude,
            "--",
        ],
        cwd=cwd,
    )
    return parse_name_status(res.stdout)


def commit_changes(cwd: str, parent: str, commit: str) -> list[Change]:
    """What `commit` changes against `parent` (a commit, or the empty tree for a root)."""
    res = run_git(
        [
            "diff-tree",
            "-r",
            "-z",
            "-M",
            "--name-status",
            "--no-commit-id",
            "--no-ext-diff",
            parent,
            commit,
        ],
        cwd=cwd,
    )
    return parse_name_status(res.stdout)


def staged_stat(cwd: str | Path, paths: Sequence[str]) -> str:
    """`git diff --cached --stat` of `paths`, as git prints it for people."""
    return run_git(["--literal-pathspecs", "diff", "--cached", "--stat", "--", *paths], cwd=cwd).out


def staged_patch_id(cwd: str, paths: Sequence[str]) -> str:
    """The identity of the staged change to `paths` (what `gitcoord approve` records)."""
    return _patch_id(cwd, ["--cached"], paths, keep_repo_env=True)


def range_patch_id(cwd: str, old: str, new: str, paths: Sequence[str]) -> str:
    """The identity of the change to `paths` between two commits (what `gitcoord ci` looks
    up): the same id `staged_patch_id` gave when that change was staged on top of `old`."""
    return _patch_id(cwd, [old, new], paths)


def _patch_id(
    cwd: str, revs: Sequence[str], paths: Sequence[str], keep_repo_env: bool = False
) -> str:
    """`git patch-id --stable` of the diff of `paths`, or a hash of the diff when git gives
    no patch-id (a mode-only change). Both callers use these exact diff options, so a staged
    change and the commit that records it get the same id."""
    diff = run_git(
        [
            "--literal-pathspecs",
            "diff",
            *revs,
            "--binary",
            "--no-ext-diff",
            "--no-textconv",
            "--no-renames",
            "--",
            *paths,
        ],
        cwd=cwd,
        keep_repo_env=keep_repo_env,
    ).stdout
    pid = run_git(["patch-id", "--stable"], cwd=cwd, input=diff).out.split()
    if pid:
        return pid[0]
    from hashlib import sha256

    return "diff-sha256:" + sha256(diff).hexdigest()


class PushedRef(NamedTuple):
    local_ref: str
    local_oid: str
    remote_ref: str
    remote_oid: str


def parse_pre_push(stdin: str) -> list[PushedRef]:
    """The pre-push hook's standard input (githooks(5)): one line per ref being pushed,

        <local ref> SP <local oid> SP <remote ref> SP <remote oid> LF

    A deletion has local ref `(delete)` and an all-zero local oid; a new remote branch has an
    all-zero remote oid. Blank lines are ignored; any other line is an error, never skipped
    (a skipped line would be an unchecked push).
    """
    out = []
    for line in stdin.splitlines():
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 4:
            raise UsageError(
                f"pre-push: unexpected input line {line!r} (expected 4 fields)",
                fix="run the hook only from `git push`",
            )
        out.append(PushedRef(*fields))
    return out
