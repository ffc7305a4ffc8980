"""Local object work: writing claim and audit commits and reading them back, through git.

The usual claim writes a handful of commits: they go to disk as loose objects written
here (zlib, then rename into place, as git does), with no process at all. A large batch
(a claim of 1,000 paths is 1,000 commits plus its log entry) goes through one
`git fast-import`, which packs it: one pack beats a thousand loose files. Either is
cheaper than importing pygit2 (~0.1 s). Reading uses `git for-each-ref` and one
`git cat-file --batch`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from hashlib import sha1
from pathlib import Path
from typing import NamedTuple

from gitcoord.core.errors import GitFailed
from gitcoord.git.process import describe_failure, run_git, run_git_while

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


IDENT = "gitcoord <gitcoord@localhost>"


# Up to this many commits are written loose; more go to fast-import as one pack (git's
# own fastimport.unpackLimit is 100).
LOOSE_LIMIT = 32


class PendingCommit(NamedTuple):
    oid: str  # computed here; fast-import's OIDs are checked against it
    message: bytes
    parent: str | None
    when: int
    raw: bytes  # the object as git hashes it: header, NUL, body


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
        raw = b"commit %d\0" % len(body) + body
        oid = sha1(raw).hexdigest()
        self.pending.append(PendingCommit(oid, data, parent, when, raw))
        return oid

    def write(self, git_dir: Path, object_format: str = "sha1", shared: str | None = None) -> None:
        """Write every staged commit: a few as loose objects here, many in one
        `git fast-import`. Only SHA-1 repositories are written directly; for any other
        format fast-import writes and the OID check below reports the mismatch.
        `shared`: the repository's core.sharedRepository, honoured as git honours it."""
        if not self.pending:
            return
        if len(self.pending) <= LOOSE_LIMIT and object_format == "sha1":
            objects = git_dir / "objects"
            perm = shared_perm(shared)
            for c in self.pending:
                _write_loose(objects, c.oid, c.raw, perm)
            self.pending.clear()
            return
        # fast-import needs a branch to commit on; `reset` without `from` at the end deletes
        # it again, so only the objects remain. Unique per process: worktrees share refs.
        scratch = f"refs/gitcoord/tmp/{os.getpid()}-{os.urandom(4).hex()}"
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


def _write_loose(objects: Path, oid: str, raw: bytes, perm: int) -> None:
    """One loose object, as git writes it: deflated to a temporary file in its fan-out
    directory, then renamed into place, so a reader never sees half of it; the file and a
    new directory get the modes core.sharedRepository asks for (`perm`). Like git's
    default (core.fsync leaves loose objects out), it is not fsynced: a claim's objects
    matter only until the push has copied them to the remote."""
    import zlib  # deferred: the hooks read claims and never write objects

    final = objects / oid[:2] / oid[2:]
    if final.exists():
        return
    tmp = final.parent / f"tmp_obj_{os.getpid()}_{os.urandom(4).hex()}"
    try:
        if not final.parent.is_dir():
            final.parent.mkdir(exist_ok=True)
            _share(final.parent, perm)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        with os.fdopen(fd, "wb") as fh:
            fh.write(zlib.compress(raw))
        _share(tmp, perm)
        os.replace(tmp, final)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise GitFailed(f"cannot write object {oid} under {objects}: {exc}") from None


# git's PERM_UMASK, PERM_GROUP and PERM_EVERYBODY (setup.c, git_config_perm).
_PERMS = {"umask": 0, "group": 0o660, "all": 0o664, "world": 0o664, "everybody": 0o664}


def shared_perm(value: str | None) -> int:
    """core.sharedRepository as git reads it: 0 (the umask decides), 0o660 or 0o664 (bits
    added), or minus an exact mode ("0640"). Unset or false is 0; true is group."""
    if value is None:
        return 0
    text = value.strip().lower()
    if text in _PERMS:
        return _PERMS[text]
    try:
        mode = int(text, 8)
    except ValueError:
        return 0o660 if text in ("true", "yes", "on") else 0
    # 0, 1 and 2 are the old spellings of umask, group and everybody.
    return {0: 0, 1: 0o660, 2: 0o664}.get(mode, -(mode & 0o666))


def _share(path: Path, perm: int) -> None:
    """What git's adjust_shared_perm does to a file or directory it creates."""
    if not perm:
        return
    old = os.stat(path).st_mode & 0o7777
    tweak = -perm if perm < 0 else perm
    if not old & 0o200:
        tweak &= ~0o222
    if old & 0o100:
        tweak |= (tweak & 0o444) >> 2
    new = (old & ~0o777) | tweak if perm < 0 else old | tweak
    if path.is_dir():
        new |= (new & 0o444) >> 2
        if new & 0o060:
            new |= 0o2000  # setgid: new entries keep the group
    if new != old:
        os.chmod(path, new)


def write_commits(
    git_dir: Path,
    messages: Sequence[str],
    *,
    chain_parent: str | None = None,
    chain: bool = False,
    object_format: str = "sha1",
    shared: str | None = None,
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
    batch.write(git_dir, object_format, shared)
    return oids


class RefEntry(NamedTuple):
    ref: str
    oid: str
    type: str
    size: int


def list_refs(
    cwd: str, *patterns: str, meanwhile: Callable[[], None] | None = None
) -> list[RefEntry]:
    """Refs matching any of `patterns` (for-each-ref: a prefix up to a slash, or exact).
    `meanwhile` runs here while git reads the refs (5,000 loose refs: ~30 ms)."""
    args = ["for-each-ref", "--format=%(objectname) %(objecttype) %(objectsize) %(refname)"]
    res = run_git_while([*args, *patterns], cwd=cwd, meanwhile=meanwhile)
    if res.returncode != 0:
        raise GitFailed(describe_failure(res))
    entries = []
    for line in res.out.splitlines():
        oid, typ, size, ref = line.split(" ", 3)
        entries.append(RefEntry(ref=ref, oid=oid, type=typ, size=int(size)))
    return entries


def delete_refs(cwd: str, refs: Iterable[str]) -> None:
    """Delete `refs` in one `update-ref --stdin` transaction; best effort (never raises for
    git's exit code): for caches such as the local mirror, which every fetch rewrites."""
    lines = "".join(f"delete {ref}\n" for ref in refs)
    if lines:
        run_git(["update-ref", "--stdin"], cwd=cwd, input=lines.encode(), check=False)


def read_objects(
    cwd: str | os.PathLike[str], oids: Iterable[str], *, keep_repo_env: bool = False
) -> dict[str, bytes]:
    """Raw object contents by OID, in one `git cat-file --batch` process; missing objects are
    left out. `keep_repo_env`: a server hook reads its push's quarantined objects."""
    wanted = list(dict.fromkeys(oids))
    if not wanted:
        return {}
    res = run_git(
        ["cat-file", "--batch"],
        cwd=cwd,
        input="".join(o + "\n" for o in wanted).encode(),
        keep_repo_env=keep_repo_env,
    )
    out = res.stdout
    objects: dict[str, bytes] = {}
    pos = 0
    for _ in wanted:
        end = out.index(b"\n", pos)
        header = out[pos:end].decode().split(" ")
        pos = end + 1
        if len(header) != 3:  # "<name> missing" (or ambiguous): no content follows
            continue
        oid, _typ, size = header[0], header[1], int(header[2])
        objects[oid] = out[pos : pos + size]
        pos += size + 1
    return objects


def batch_check(cwd: str | os.PathLike[str], names: Sequence[str]) -> list[RefEntry | None]:
    """What each of `names` (OIDs, `REV:PATH`) names, in one `git cat-file --batch-check`, in
    the order asked: (OID, type, size) as a RefEntry whose `ref` is the name asked; None when
    it names no object. A reader asks this first, so an object over its limit is never read."""
    if not names:
        return []
    res = run_git(
        ["cat-file", "--batch-check"], cwd=cwd, input="".join(n + "\n" for n in names).encode()
    )
    found: list[RefEntry | None] = []
    for name, line in zip(names, res.out.splitlines(), strict=False):
        parts = line.split(" ")  # "<oid> <type> <size>", or "<name> missing"
        ok = len(parts) == 3 and parts[2].isdigit()
        found.append(RefEntry(name, parts[0], parts[1], int(parts[2])) if ok else None)
    return found


def commit_message(raw: bytes) -> bytes:
    """The message part of a raw commit object."""
    _, sep, message = raw.partition(b"\n\n")
    return message if sep else b""


def commit_parents(raw: bytes) -> list[str]:
    head, _, _ = raw.partition(b"\n\n")
    return [ln[7:].decode() for ln in head.split(b"\n") if ln.startswith(b"parent ")]
