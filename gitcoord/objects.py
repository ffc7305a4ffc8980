"""Local object work: writing claim and audit commits (pygit2) and reading them back (git).

Writing uses pygit2 because one process then writes any number of commits (a claim of
1,000 paths is 1,000 commits). Reading uses `git for-each-ref` and one `git cat-file
--batch`, which is cheaper than importing pygit2 on read-only paths such as listings
and hooks.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gitcoord.gitcmd import run_git

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def write_commits(
    git_dir: Path, messages: Sequence[str], *, chain_parent: str | None = None, chain: bool = False
) -> list[str]:
    """Write parentless commits with the empty tree, one per message; return their OIDs.

    With `chain`, each commit's parent is the previous one, the first's is `chain_parent`
    (an append to an audit log).
    """
    import pygit2  # deferred: costs ~80 ms, paid only by commands that write

    repo = pygit2.Repository(str(git_dir))
    tree = repo.TreeBuilder().write()
    sig = pygit2.Signature("gitcoord", "gitcoord@localhost", int(time.time()), 0)
    oids: list[str] = []
    parent = chain_parent
    for message in messages:
        parents = [parent] if (chain and parent) else []
        oid = repo.create_commit(None, sig, sig, message, tree, parents)
        oids.append(str(oid))
        if chain:
            parent = str(oid)
    return oids


@dataclass(frozen=True)
class RefEntry:
    ref: str
    oid: str
    type: str
    size: int


def list_refs(cwd: str, prefix: str) -> list[RefEntry]:
    res = run_git(
        [
            "for-each-ref",
            "--format=%(objectname) %(objecttype) %(objectsize) %(refname)",
            prefix,
        ],
        cwd=cwd,
    )
    entries = []
    for line in res.out.splitlines():
        oid, typ, size, ref = line.split(" ", 3)
        entries.append(RefEntry(ref=ref, oid=oid, type=typ, size=int(size)))
    return entries


def read_objects(cwd: str, oids: Iterable[str]) -> dict[str, bytes]:
    """Raw object contents by OID, in one `git cat-file --batch` process."""
    wanted = list(dict.fromkeys(oids))
    if not wanted:
        return {}
    res = run_git(
        ["cat-file", "--batch"], cwd=cwd, input="".join(o + "\n" for o in wanted).encode()
    )
    out = res.stdout
    objects: dict[str, bytes] = {}
    pos = 0
    for _ in wanted:
        end = out.index(b"\n", pos)
        header = out[pos:end].decode().split(" ")
        pos = end + 1
        if len(header) == 2 and header[1] == "missing":
            continue
        oid, _typ, size = header[0], header[1], int(header[2])
        objects[oid] = out[pos : pos + size]
        pos += size + 1
    return objects


def commit_message(raw: bytes) -> bytes:
    """The message part of a raw commit object."""
    _, sep, message = raw.partition(b"\n\n")
    return message if sep else b""


def commit_parents(raw: bytes) -> list[str]:
    head, _, _ = raw.partition(b"\n\n")
    return [ln[7:].decode() for ln in head.split(b"\n") if ln.startswith(b"parent ")]
