"""Reading the bare repository from inside its hooks: pushed ref changes, objects, commits.

The git reads are git/bare.py's (re-exported here: the server's one view of its repository);
this module judges what they return: the claims at refs, gitcoord.toml on a branch.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from gitcoord.core.claim import MAX_OBJECT_BYTES, Claim, InvalidClaim, parse_claim_commit
from gitcoord.core.config import Config, parse_config
from gitcoord.core.errors import ConfigError
from gitcoord.core.refnames import claim_ref
from gitcoord.git.bare import ObjectInfo, object_info
from gitcoord.git.objects import read_objects


def claim_at(ref: str, info: ObjectInfo | None, raw: bytes | None) -> Claim | str:
    """The claim a ref under refs/claims/ holds, or why it is not a valid one."""
    if info is None:
        return "its object is missing"
    if info.type != "commit":
        return f"it points to a {info.type}, not a claim commit"
    if info.size > MAX_OBJECT_BYTES:
        return f"its object is {info.size} bytes, over the {MAX_OBJECT_BYTES}-byte limit"
    if raw is None:  # only small commits are read
        return "its object is missing"
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


def team_config(git_dir: Path, rev: str = "HEAD", info: ObjectInfo | None = None) -> Config:
    """gitcoord.toml at `rev` (default: the default branch), or all defaults. `info`: the
    file's object, when the caller already looked it up."""
    name = f"{rev}:gitcoord.toml"
    if info is None:
        info = object_info(git_dir, [name]).get(name)
    if info is None or info.type != "blob" or info.size > MAX_OBJECT_BYTES:
        return Config()
    blob = read_objects(git_dir, [info.oid], keep_repo_env=True).get(info.oid, b"")
    return _parse_team_config(blob, rev)


class TeamPolicy(NamedTuple):
    """gitcoord.toml at one rev: `key` tells two revs with the same file apart from two
    with different ones (the blob's OID; "" for the defaults)."""

    key: str
    config: Config


def team_configs(git_dir: Path, revs: Iterable[str]) -> dict[str, TeamPolicy]:
    """gitcoord.toml at each rev, in two git processes whatever their number; each distinct
    file is parsed once (a bad one warns once and counts as the defaults)."""
    names = {rev: f"{rev}:gitcoord.toml" for rev in dict.fromkeys(revs)}
    infos = object_info(git_dir, names.values())
    small = {
        i.oid: rev
        for rev, name in names.items()
        if (i := infos.get(name)) is not None and i.type == "blob" and i.size <= MAX_OBJECT_BYTES
    }
    blobs = read_objects(git_dir, list(small), keep_repo_env=True) if small else {}
    parsed = {oid: _parse_team_config(blobs.get(oid, b""), rev) for oid, rev in small.items()}
    out = {}
    for rev, name in names.items():
        oid = infos[name].oid if name in infos else ""
        out[rev] = TeamPolicy(oid, parsed[oid]) if oid in parsed else TeamPolicy("", Config())
    return out


def _parse_team_config(blob: bytes, rev: str) -> Config:
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
