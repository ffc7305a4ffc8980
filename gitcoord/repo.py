"""The local repository as gitcoord sees it: where it is, its config, who is working in it."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from gitcoord.errors import UsageError
from gitcoord.gitcmd import run_git


class Identity(NamedTuple):
    agent: str
    host: str
    worktree: str
    session: str


class Repo:
    """A working tree. Construct with `Repo.discover()`; git is asked once for the basics."""

    def __init__(self, toplevel: Path, common_dir: Path, prefix: str, cwd: Path) -> None:
        self.toplevel = toplevel
        self.common_dir = common_dir
        self.prefix = prefix
        self.cwd = cwd

    @classmethod
    def discover(cls, cwd: str | os.PathLike[str] | None = None) -> Repo:
        here = Path(cwd or os.getcwd()).resolve()
        res = run_git(
            ["rev-parse", "--show-toplevel", "--git-common-dir", "--show-prefix"],
            cwd=here,
            check=False,
        )
        if res.returncode != 0:
            raise UsageError(
                f"{here} is not inside a git working tree",
                fix="cd into your clone, or run `git clone URL` first",
            )
        top, common, prefix = ([*res.out.split("\n"), "", "", ""])[:3]
        toplevel = Path(top).resolve()
        common_dir = Path(common)
        if not common_dir.is_absolute():
            common_dir = (here / common_dir).resolve()
        return cls(toplevel, common_dir, prefix, here)

    @cached_property
    def git_config(self) -> dict[str, str]:
        """All config values (last one wins), read in one git process."""
        res = run_git(["config", "--list", "-z"], cwd=self.toplevel, check=False)
        values: dict[str, str] = {}
        for item in res.out.split("\0"):
            if item:
                key, _, value = item.partition("\n")
                values[key.lower()] = value
        return values

    @property
    def state_dir(self) -> Path:
        """gitcoord's private files (snapshot cache, acknowledgements) inside the git dir."""
        return self.common_dir / "gitcoord"

    def agent(self) -> str:
        """Who is working: GITCOORD_AGENT, else gitcoord.agent, else user.email."""
        agent = (
            os.environ.get("GITCOORD_AGENT")
            or self.git_config.get("gitcoord.agent")
            or self.git_config.get("user.email")
        )
        if not agent:
            raise UsageError(
                "no agent identity: GITCOORD_AGENT, gitcoord.agent and user.email are all unset",
                fix="git config gitcoord.agent YOUR-NAME   (or export GITCOORD_AGENT=...)",
            )
        if len(agent) > 200 or any(ch in agent for ch in "\n\r\0"):
            raise UsageError(f"agent identity {agent!r} is not a single short line")
        return agent

    def identity(self) -> Identity:
        from gitcoord.digests import sha256  # deferred: the hooks need only the agent name

        agent = self.agent()
        host = _hostname()
        worktree = str(self.toplevel)
        session = (
            os.environ.get("GITCOORD_SESSION")
            or sha256(f"{host}\0{worktree}".encode()).hexdigest()[:12]
        )
        return Identity(agent=agent, host=host, worktree=worktree, session=session)


def _hostname() -> str:
    # os.uname() is gethostname() on POSIX, without importing socket (~1.6 ms).
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()
