"""The commits of a CI range as `gitcoord ci` judges them, read from git: author, first
parent and gitcoord's trailers; and the rules file's hash as of a commit."""

from __future__ import annotations

from typing import NamedTuple

from gitcoord.core.errors import GitFailed
from gitcoord.git.history import blob_at, non_merge_log
from gitcoord.store import localstate

AGENT_TRAILER = "Gitcoord-Agent"
RULES_TRAILER = "Gitcoord-Rules"
SESSION_TRAILER = "Gitcoord-Session"


class CommitInfo(NamedTuple):
    oid: str
    parent: str | None  # the first parent; None for a root commit
    author_email: str
    agent_trailer: str | None
    rules_trailer: str | None
    session_trailer: str | None = None
    author_name: str = ""


# Each field ends in NUL, which no name, e-mail or message can hold: a field holding any
# other separator cannot shift the rest (a commit read wrongly would go unchecked).
_FIELDS = (
    "%H",
    "%P",
    "%an",
    "%ae",
    f"%(trailers:key={AGENT_TRAILER},valueonly,unfold,separator=%x1d)",
    f"%(trailers:key={RULES_TRAILER},valueonly,unfold,separator=%x1d)",
    f"%(trailers:key={SESSION_TRAILER},valueonly,unfold,separator=%x1d)",
)
_FORMAT = "".join(f + "%x00" for f in _FIELDS)


def _last(values: str) -> str | None:
    parts = [v.strip() for v in values.split("\x1d") if v.strip()]
    return parts[-1] if parts else None


def read_commits(cwd: str, old: str | None, new: str) -> list[CommitInfo]:
    """The non-merge commits of old..new, oldest first (a merge brings in others' work)."""
    revs = [new, "--not", old] if old else [new]
    # git ends each record with a newline after its last NUL: it starts the next one.
    parts = non_merge_log(cwd, revs, _FORMAT).split("\0")
    n = len(_FIELDS)
    if len(parts) % n != 1:  # never skip what cannot be read: fail the run
        raise GitFailed(f"cannot read the commits of {' '.join(revs)} from git log")
    out = []
    for i in range(0, len(parts) - 1, n):
        oid, parents, name, email, agent, rules, session = parts[i : i + n]
        oid = oid.lstrip("\n")
        parent = parents.split()[0] if parents else None
        out.append(CommitInfo(oid, parent, email, _last(agent), _last(rules), _last(session), name))
    return out


def rules_hash_at(cwd: str, commit: str | None, rules_file: str) -> str | None:
    if commit is None:
        return None
    text = blob_at(cwd, commit, rules_file)
    return localstate.rules_hash(text) if text is not None else None
