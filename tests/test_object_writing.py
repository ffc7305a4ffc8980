"""Claim and log commits written by gitcoord itself: loose for a few, one pack for many.

Either way git must read back exactly the objects whose OIDs were computed in Python."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gitcoord.git.objects import LOOSE_LIMIT, write_commits


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
    first = write_commits(repo / ".git", ["same\n"])
    # A second batch in the same second computes the same OID; the existing file stays.
    again = write_commits(repo / ".git", ["same\n"])
    if again == first:
        assert _loose(repo, first[0])
    leftovers = list((repo / ".git" / "objects").glob("*/tmp_obj_*"))
    assert leftovers == []
