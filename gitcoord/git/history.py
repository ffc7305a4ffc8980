"""A repository's history: commits and ranges, a file as of a commit, commit messages."""

from __future__ import annotations

from collections.abc import Sequence

from gitcoord.git.process import run_git


def resolve_commit(cwd: str, rev: str) -> str | None:
    """The commit `rev` names (`rev-parse --verify`), or None when it names none here."""
    res = run_git(["rev-parse", "--verify", "--quiet", rev + "^{commit}"], cwd=cwd, check=False)
    return res.out.strip() if res.returncode == 0 else None


def has_commit(cwd: str, oid: str) -> bool:
    return run_git(["cat-file", "-e", oid + "^{commit}"], cwd=cwd, check=False).returncode == 0


def blob_at(cwd: str, commit: str, path: str) -> bytes | None:
    """The file `path` as of `commit`, or None when it has none there."""
    res = run_git(["cat-file", "blob", f"{commit}:{path}"], cwd=cwd, check=False)
    return res.stdout if res.returncode == 0 else None


def merge_base(cwd: str, one: str, other: str) -> str | None:
    """The best common ancestor, or None when the two share no history."""
    res = run_git(["merge-base", one, other], cwd=cwd, check=False)
    return res.out.strip() or None


def is_shallow(cwd: str) -> bool:
    return run_git(["rev-parse", "--is-shallow-repository"], cwd=cwd).out.strip() == "true"


def count_commits(cwd: str, *revs: str) -> int:
    """`rev-list --count REVS`: e.g. (tip, "^HEAD") counts what tip has that HEAD lacks."""
    return int(run_git(["rev-list", "--count", *revs, "--"], cwd=cwd).out.strip() or 0)


def first_parents(cwd: str, tip: str, limit: int) -> list[str]:
    """`tip` and its first-parent ancestors, newest first, at most `limit` of them (a task's
    history); [] when git cannot walk it (a missing object)."""
    args = ["rev-list", "--first-parent", f"--max-count={limit}", tip, "--"]
    res = run_git(args, cwd=cwd, check=False)
    return res.out.split() if res.returncode == 0 else []


def non_merge_log(cwd: str, revs: Sequence[str], fmt: str) -> str:
    """`git log --format=FMT REVS` without merge commits, oldest first."""
    res = run_git(["log", "--no-merges", "--reverse", f"--format={fmt}", *revs, "--"], cwd=cwd)
    return res.out


def commit_messages(cwd: str, tips: Sequence[str]) -> list[tuple[str, str]]:
    """(OID, message) of every commit reachable from `tips`, newest first."""
    # git prints a message up to its first NUL, so no message can forge the separator.
    res = run_git(["log", "--format=%H%x00%B%x00%x01", *tips, "--"], cwd=cwd)
    out = []
    for record in res.out.split("\x00\x01"):
        record = record.lstrip("\n")
        if not record:
            continue
        oid, _, message = record.partition("\x00")
        out.append((oid, message.rstrip("\x00")))
    return out


def add_trailers(cwd: str, message_file: str, trailers: Sequence[str]) -> None:
    """Rewrite a commit message file in place with `trailers` ("Key: value"), each replacing
    an existing one of its key. Keeps the hook's environment (commit-msg runs in a hook)."""
    args = [arg for trailer in trailers for arg in ("--trailer", trailer)]
    run_git(
        ["interpret-trailers", "--in-place", "--if-exists", "replace", *args, message_file],
        cwd=cwd,
        keep_repo_env=True,
    )


def files_at(cwd: str, names: Sequence[str], max_bytes: int) -> dict[str, bytes | None]:
    """The contents of each `REV:PATH` name that exists, in two `git cat-file` processes:
    sizes first, so a huge blob in fetched history is never read (None: not a blob of at
    most `max_bytes`)."""
    from gitcoord.git.objects import batch_check, read_objects  # deferred: few callers

    wanted = [n for n in dict.fromkeys(names) if "\n" not in n]  # one name per input line
    found: dict[str, bytes | None] = {}
    small: dict[str, list[str]] = {}  # blob OID -> the names that resolve to it
    for entry in batch_check(cwd, wanted):
        if entry is None:
            continue
        found[entry.ref] = None
        if entry.type == "blob" and entry.size <= max_bytes:
            small.setdefault(entry.oid, []).append(entry.ref)
    if small:
        blobs = read_objects(cwd, small)
        found.update({n: blobs[oid] for oid, ns in small.items() if oid in blobs for n in ns})
    return found
