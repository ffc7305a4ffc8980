"""Claim and log commits written by gitcoord itself: loose for a few, one pack for many.

Either way git must read back exactly the objects whose OIDs were computed in Python."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from gitcoord.git.objects import LOOSE_LIMIT, CommitBatch, PendingCommit, write_commits
from tests.gitenv import Agent


def _git(repo: Path, *args: str, input: bytes | None = None) -> str:
    res = subprocess.run(
        ["git", "-C", str(repo), *args], input=input, capture_output=True, check=True
    )
    return res.stdout.decode()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path / "r")], check=True)
    return tmp_path / "r"


def _loose(repo: Path, oid: str) -> bool:
    return (repo / ".git" / "objects" / oid[:2] / oid[2:]).is_file()


# 150: past fast-import's own unpack limit (100), so it keeps them as a pack.
@pytest.mark.parametrize("count", [1, LOOSE_LIMIT, LOOSE_LIMIT + 1, 150])
def test_written_commits_are_the_computed_ones(repo: Path, count: int) -> None:
    messages = [f"claim {n}\n\n{{}}\n" for n in range(count)]
    oids = write_commits(repo / ".git", messages, chain_parent=None, chain=True)
    assert len(set(oids)) == count
    if count <= LOOSE_LIMIT or count == 150:  # written here, or packed by fast-import
        assert all(_loose(repo, o) for o in oids) == (count <= LOOSE_LIMIT)
    for n, oid in enumerate(oids):
        assert _git(repo, "cat-file", "-t", oid).strip() == "commit"
        body = _git(repo, "cat-file", "commit", oid)
        assert body.endswith(messages[n])
        # git recomputes the same OID from the same content.
        again = _git(repo, "hash-object", "-t", "commit", "--stdin", input=body.encode())
        assert again.strip() == oid
        parent = _git(repo, "rev-parse", f"{oid}^" if n else oid).strip()
        assert parent == (oids[n - 1] if n else oid)
    _git(repo, "fsck", "--strict", "--no-dangling")


def test_writing_the_same_commit_twice_keeps_one_object(repo: Path) -> None:
    # Written twice as one batch (one timestamp, so one OID), then once more: the
    # existing file stays and no temporary file is left behind, on every run.
    first, second = write_commits(repo / ".git", ["same\n", "same\n"])
    assert first == second and _loose(repo, first)
    path = repo / ".git" / "objects" / first[:2] / first[2:]
    before = path.stat().st_mtime_ns
    batch = CommitBatch()
    batch.pending = [PendingCommit(first, b"", None, 0, b"not the object")]
    batch.write(repo / ".git")
    assert path.stat().st_mtime_ns == before
    assert _git(repo, "cat-file", "-t", first).strip() == "commit"
    leftovers = list((repo / ".git" / "objects").glob("*/tmp_obj_*"))
    assert leftovers == []


@pytest.mark.parametrize("shared", ["group", "all", "0640", "true", "false"])
def test_loose_objects_get_the_modes_git_gives_them(repo: Path, shared: str) -> None:
    """With core.sharedRepository (and umask 077), a claim's objects and their fan-out
    directories get exactly the modes git's own loose objects get."""
    _git(repo, "config", "core.sharedRepository", shared)
    old = os.umask(0o077)
    try:
        ours = write_commits(repo / ".git", ["claim\n"], shared=shared)[0]
        # git's own object, in a fan-out directory of its own (ours depends on the clock).
        blobs = (f"git's own {n}\n".encode() for n in range(300))
        blob = next(
            b for b in blobs if _git(repo, "hash-object", "--stdin", input=b)[:2] != ours[:2]
        )
        theirs = _git(repo, "hash-object", "-w", "--stdin", input=blob).strip()
    finally:
        os.umask(old)

    def modes(oid: str) -> tuple[str, str]:
        path = repo / ".git" / "objects" / oid[:2] / oid[2:]
        return oct(path.parent.stat().st_mode & 0o7777), oct(path.stat().st_mode & 0o7777)

    assert modes(ours) == modes(theirs)
    if shared == "group":
        assert modes(ours) == ("0o2770", "0o440")


@pytest.mark.transports("file")
def test_a_claims_objects_are_group_readable_in_a_group_shared_repository(alice: Agent) -> None:
    alice.git("config", "core.sharedRepository", "group")
    old = os.umask(0o077)
    try:
        res = alice.claim("--json", "src/app.py")
    finally:
        os.umask(old)
    assert res.rc == 0, res.err
    oid = json.loads(res.out)["claimed"][0]["oid"]
    path = alice.path / ".git" / "objects" / oid[:2] / oid[2:]
    assert path.stat().st_mode & 0o777 == 0o440  # git's mode for it: read-only, group too


@pytest.mark.transports("file")
def test_a_bare_shared_repository_key_means_group_as_it_does_to_git(alice: Agent) -> None:
    """`[core] sharedRepository` with no "=" is boolean true to git: group."""
    with (alice.path / ".git" / "config").open("a") as config:
        config.write("[core]\n\tsharedRepository\n")
    old = os.umask(0o077)
    try:
        res = alice.claim("--json", "src/app.py")
        (alice.path / "shared.txt").write_text("written by git itself\n")
        git_blob = alice.git("hash-object", "-w", "shared.txt").strip()
    finally:
        os.umask(old)
    assert res.rc == 0, res.err
    oid = json.loads(res.out)["claimed"][0]["oid"]
    for written in (oid, git_blob):  # ours, and git's own, get the same mode
        path = alice.path / ".git" / "objects" / written[:2] / written[2:]
        assert path.stat().st_mode & 0o777 == 0o440
