"""Who is working: the agent, on which host, in which working tree, in which session.

git/repo.py builds it from the repository and the environment; claims and log entries
record it.

The one rule of "mine": a holder is (agent, session). Two sessions of one agent (two working
trees, or two harness sessions sharing a checkout) are two holders: each refuses the other's
paths, and is told that the holder is its own other session (core/wording.other_session)
and how to release it from here. A commit that names no session (no `Gitcoord-Session`
trailer) cannot tell one session of its agent from another, so it is judged by agent alone
(policy/agents.py).
"""

from __future__ import annotations

from typing import NamedTuple

from gitcoord.core.textsafe import path_word, shell_word


class Identity(NamedTuple):
    agent: str
    host: str
    worktree: str
    session: str


def published(me: Identity, publish_location: bool) -> Identity:
    """`me` as claims and log entries record it: without host and working tree when the
    team turned `[claims] publish_location` off (the session id still tells sessions apart)."""
    return me if publish_location else me._replace(host="", worktree="")


def command_from_here(session: str, path: str, verb: str = "-d") -> str:
    """The command that acts (`-d`, `--renew`) on my other session's claim on `path` from
    this session (both come from the remote: escaped and quoted for a shell)."""
    return f"GITCOORD_SESSION={shell_word(session)} git claim {verb} {path_word(path)}"


def release_from_here(session: str, path: str) -> str:
    """The fix for a path my own other session holds."""
    return f"release it there, or from here: {command_from_here(session, path)}"
