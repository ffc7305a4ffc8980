"""Who is working: the agent, on which host, in which working tree, in which session.

git/repo.py builds it from the repository and the environment; claims and log entries
record it.
"""

from __future__ import annotations

from typing import NamedTuple


class Identity(NamedTuple):
    agent: str
    host: str
    worktree: str
    session: str
