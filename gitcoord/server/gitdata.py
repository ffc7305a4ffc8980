"""Reading the bare repository from inside its hooks: pushed ref changes, objects, commits.

Every git process here keeps the hook's GIT_* environment (keep_repo_env): during
pre-receive the pushed objects sit in a quarantine directory that only that environment
names. Objects are sized with `cat-file --batch-check` before any is read, so a hostile
multi-gigabyte object is refused by its size, never loaded.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from gitcoord.core.claim import MAX_OBJECT_BYTES, Claim, InvalidClaim, parse_claim_commit
from gitcoord.core.config import Config, parse_config
from gitcoord.core.errors import ConfigError
from gitcoord.core.refnames import LOG, claim_ref
from gitcoord.git.objects import read_objects
from gitcoord.git.process import run_git

# The most new commits one push may bring to one audit-log ref; each is read and parsed.
MAX_NEW_LOG_COMMITS = 1000


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


def claim_at(ref: str, info: ObjectInfo | None, raw: bytes | None) -> Claim | str:
    """The claim a ref under refs/claims/ holds, or why it is not a valid one."""
    if info is None or raw is None:
        return "its object is missing"
    if info.type != "commit":
        return f"it points to a {info.type}, not a claim commit"
    if info.size > MAX_OBJECT_BYTES:
        return f"its object is {info.size} bytes, over the {MAX_OBJECT_BYTES}-byte limit"
    try:  # the client's own reading: shape, then message (InvalidClaim and nothing else)
        claim = parse_claim_commit(raw, ref=ref, oid=info.oid)
    except InvalidClaim as exc:
        return str(exc)
    expected = claim_ref(claim.path.key, claim.mode, claim.agent, claim.session)
    if expected != ref:
        return f"a {claim.mode.value} claim on {claim.path} by {claim.agent} belongs at {expected}"
    return claim


def claims_for(git_dir: Path, *ref_oids: dict[str, str]) -> list[dict[str, Claim | str]]:
    """Read and validate the claims at each ref -> OID map, all in two git processes."""
    oids = [oid for pairs in ref_oids for oid in pairs.values()]
    infos = object_info(git_dir, oids)
    small = [i.oid for i in infos.values() if i.type == "commit" and i.size <= MAX_OBJECT_BYTES]
    raw = read_objects(git_dir, small, keep_repo_env=True)
    return [
        {ref: claim_at(ref, infos.get(oid), raw.get(oid)) for ref, oid in pairs.items()}
        for pairs in ref_oids
    ]


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


def team_config(git_dir: Path, rev: str = "HEAD", info: ObjectInfo | None = None) -> Config:
    """gitcoord.toml at `rev` (default: the default branch), or all defaults. `info`: the
    file's object, when the caller already looked it up."""
    name = f"{rev}:gitcoord.toml"
    if info is None:
        info = object_info(git_dir, [name]).get(name)
    if info is None or info.type != "blob" or info.size > MAX_OBJECT_BYTES:
        return Config()
    blob = read_objects(git_dir, [info.oid], keep_repo_env=True).get(info.oid, b"")
    text = blob.decode("utf-8", "replace")
    where = "default branch" if rev == "HEAD" else rev[:12]
    try:
        return parse_config(text, f"gitcoord.toml ({where})")
    except ConfigError as exc:
        print(f"gitcoord: warning: {exc.message}; using defaults", file=sys.stderr)
        return Config()


def default_branch(git_dir: Path) -> str:
    """The branch HEAD names (refs/heads/...), read from the file: no git process."""
    try:
        head = (git_dir / "HEAD").read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""
    return head[5:].strip() if head.startswith("ref: ") else ""


class CommitChanges(NamedTuple):
    oid: str
    author_email: str
    agent_trailer: str  # the last `Gitcoord-Agent:` trailer, or ""
    paths: tuple[str, ...]  # added, modified or deleted; a rename counts as both sides


def new_commits(git_dir: Path, new: str) -> list[CommitChanges]:
    """Commits reachable from `new` that no branch on the server has yet, with their paths."""
    out = _git(
        git_dir,
        [
            "log",
            "-z",
            "--no-renames",
            "--name-only",
            "--format=%x01%H%x00%ae%x00%(trailers:key=Gitcoord-Agent,valueonly,separator=%x02)",
            new,
            "--not",
            "--branches",
            "--",
        ],
    ).decode("utf-8", "surrogateescape")
    commits = []
    for record in out.split("\x01")[1:]:
        oid, email, trailer, rest = [*record.split("\0", 3), "", "", ""][:4]
        paths = tuple(p for p in rest.lstrip("\n").split("\0") if p)
        agent = trailer.strip().split("\x02")[-1].strip() if trailer.strip() else ""
        commits.append(CommitChanges(oid, email, agent, paths))
    return commits


def is_ancestor(git_dir: Path, old: str, new: str) -> bool:
    res = run_git(
        ["merge-base", "--is-ancestor", old, new], cwd=git_dir, keep_repo_env=True, check=False
    )
    return res.returncode == 0
