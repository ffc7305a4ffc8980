"""Local object work: writing claim and audit commits and reading them back, through git.

Writing uses one `git fast-import` process for any number of commits (a claim of 1,000
paths is 1,000 commits, plus its log entry): git keeps a few objects loose and packs many
(fastimport.unpackLimit), which is far cheaper than one loose file per object on a slow
filesystem, and cheaper than importing pygit2 (~0.1 s) for the usual one-path claim.
Reading uses `git for-each-ref` and one `git cat-file --batch`.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from gitcoord.errors import GitFailed
from gitcoord.gitcmd import describe_failure, run_git

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


IDENT = "gitcoord <gitcoord@localhost>"


class PendingCommit(NamedTuple):
    oid: str  # computed here, checked against what git writes
    message: bytes
    parent: str | None
    when: int


class CommitBatch:
    """Commits computed now (their OIDs known at once) and written later in one git process.

    A claim writes its claim commits, then a log entry that names their OIDs, then pushes:
    computing OIDs here lets all of them go to disk in one `git fast-import` right before
    the push, instead of one process (and its unpack-objects child) per step.
    """

    def __init__(self) -> None:
        self.pending: list[PendingCommit] = []

    def add(self, message: str, parent: str | None = None) -> str:
        """Stage a commit with the empty tree; its OID (SHA-1 of the object git will write)."""
        when = int(time.time())
        data = message.encode("utf-8")
        head = f"tree {EMPTY_TREE}\n" + (f"parent {parent}\n" if parent else "")
        head += f"author {IDENT} {when} +0000\ncommitter {IDENT} {when} +0000\n\n"
        body = head.encode() + data
        oid = hashlib.sha1(b"commit %d\0" % len(body) + body).hexdigest()
        self.pending.append(PendingCommit(oid, data, parent, when))
        return oid

    def write(self, git_dir: Path) -> None:
        """Write every staged commit in one `git fast-import`; git keeps a few objects loose
        and packs many (fastimport.unpackLimit)."""
        if not self.pending:
            return
        # fast-import needs a branch to commit on; `reset` without `from` at the end deletes
        # it again, so only the objects remain. Unique per process: worktrees share refs.
        scratch = f"refs/gitcoord/tmp/{os.getpid()}-{secrets.token_hex(4)}"
        marks: dict[str, str] = {}
        stream = bytearray()
        for n, c in enumerate(self.pending, 1):
            ident = f"{IDENT} {c.when} +0000"
            stream += (
                f"reset {scratch}\ncommit {scratch}\nmark :{n}\nauthor {ident}\n"
                f"committer {ident}\ndata {len(c.message)}\n"
            ).encode()
            stream += c.message + b"\n"
            if c.parent:
                stream += f"from {marks.get(c.parent, c.parent)}\n".encode()
            stream += b"\n"
            marks[c.oid] = f":{n}"
        stream += f"reset {scratch}\n".encode()
        stream += "".join(f"get-mark :{n}\n" for n in range(1, len(self.pending) + 1)).encode()
        stream += b"done\n"
        res = run_git(
            ["--git-dir", str(git_dir), "fast-import", "--quiet", "--done"], input=bytes(stream)
        )
        written = res.out.split()
        if written != [c.oid for c in self.pending]:
            raise GitFailed(
                f"git fast-import wrote {len(written)} objects that differ from the "
                f"{len(self.pending)} computed (a SHA-256 repository?):\n{describe_failure(res)}"
            )
        self.pending.clear()


def write_commits(
    git_dir: Path, messages: Sequence[str], *, chain_parent: str | None = None, chain: bool = False
) -> list[str]:
    """Write parentless commits with the empty tree, one per message; return their OIDs.

    With `chain`, each commit's parent is the previous one, the first's is `chain_parent`
    (an append to an audit log).
    """
    batch = CommitBatch()
    oids: list[str] = []
    for message in messages:
        parent = (oids[-1] if oids else chain_parent) if chain else None
        oids.append(batch.add(message, parent))
    batch.write(git_dir)
    return oids


class RefEntry(NamedTuple):
    ref: str
    oid: str
    type: str
    size: int


def list_refs(cwd: str, *patterns: str) -> list[RefEntry]:
    """Refs matching any of `patterns` (for-each-ref: a prefix up to a slash, or exact)."""
    res = run_git(
        [
            "for-each-ref",
            "--format=%(objectname) %(objecttype) %(objectsize) %(refname)",
            *patterns,
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
