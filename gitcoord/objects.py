"""Local object work: writing claim and audit commits and reading them back, through git.

Writing uses one `git fast-import` process for any number of commits (a claim of 1,000
paths is 1,000 commits): git keeps a few objects loose and packs many
(fastimport.unpackLimit), which is far cheaper than one loose file per object on a slow
filesystem, and cheaper than importing pygit2 (~0.1 s) for the usual one-path claim.
Reading uses `git for-each-ref` and one `git cat-file --batch`.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gitcoord.errors import GitFailed
from gitcoord.gitcmd import describe_failure, run_git

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def write_commits(
    git_dir: Path, messages: Sequence[str], *, chain_parent: str | None = None, chain: bool = False
) -> list[str]:
    """Write parentless commits with the empty tree, one per message; return their OIDs.

    With `chain`, each commit's parent is the previous one, the first's is `chain_parent`
    (an append to an audit log).
    """
    if not messages:
        return []
    ident = f"gitcoord <gitcoord@localhost> {int(time.time())} +0000"
    # fast-import needs a branch to commit on; `reset` without `from` at the end deletes
    # it again, so nothing but the objects is left. Unique per process: worktrees share refs.
    scratch = f"refs/gitcoord/tmp/{os.getpid()}-{secrets.token_hex(4)}"
    stream = bytearray()
    for n, message in enumerate(messages, 1):
        data = message.encode("utf-8")
        stream += (
            f"reset {scratch}\ncommit {scratch}\nmark :{n}\nauthor {ident}\n"
            f"committer {ident}\ndata {len(data)}\n"
        ).encode()
        stream += data + b"\n"
        parent = (f":{n - 1}" if n > 1 else chain_parent) if chain else None
        if parent:
            stream += f"from {parent}\n".encode()
        stream += b"\n"
    stream += f"reset {scratch}\n".encode()
    stream += "".join(f"get-mark :{n}\n" for n in range(1, len(messages) + 1)).encode()
    stream += b"done\n"
    res = run_git(
        ["--git-dir", str(git_dir), "fast-import", "--quiet", "--done"], input=bytes(stream)
    )
    oids = res.out.split()
    if len(oids) != len(messages):
        raise GitFailed(
            f"git fast-import returned {len(oids)} object ids for {len(messages)} "
            f"commits:\n{describe_failure(res)}"
        )
    return oids


@dataclass(frozen=True)
class RefEntry:
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
