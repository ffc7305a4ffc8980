"""The local repository as gitcoord sees it: where it is, its config, who is working in it."""

from __future__ import annotations

import errno
import os
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from gitcoord.core.errors import UsageError
from gitcoord.core.identity import Identity
from gitcoord.git.process import run_git

if TYPE_CHECKING:
    from gitcoord.core.config import Config


class Repo:
    """A working tree. Construct with `Repo.discover()`; git is asked once for the basics."""

    def __init__(
        self,
        toplevel: Path,
        common_dir: Path,
        prefix: str,
        cwd: Path,
        git_dir: Path | None = None,
    ) -> None:
        self.toplevel = toplevel
        self.common_dir = common_dir
        self.prefix = prefix
        self.cwd = cwd
        # This working tree's own git dir: the common dir for the main worktree,
        # .git/worktrees/NAME for a linked one.
        self.git_dir = git_dir or common_dir

    @classmethod
    def discover(cls, cwd: str | os.PathLike[str] | None = None) -> Repo:
        here = Path(cwd or os.getcwd()).resolve()
        res = run_git(
            ["rev-parse", "--show-toplevel", "--git-common-dir", "--git-dir", "--show-prefix"],
            cwd=here,
            check=False,
        )
        if res.returncode != 0:
            raise UsageError(
                f"{here} is not inside a git working tree",
                fix="cd into your clone, or run `git clone URL` first",
            )
        top, common, git_dir, prefix = ([*res.out.split("\n"), "", "", "", ""])[:4]
        toplevel = Path(top).resolve()
        return cls(toplevel, _absolute(here, common), prefix, here, _absolute(here, git_dir))

    @cached_property
    def git_config(self) -> dict[str, str]:
        """All config values (last one wins), read in one git process."""
        res = run_git(["config", "--list", "-z"], cwd=self.toplevel, check=False)
        values: dict[str, str] = {}
        for item in res.out.split("\0"):
            if item:
                key, newline, value = item.partition("\n")
                # A key with no "=" is a boolean true to git (`[core] sharedRepository`).
                values[key.lower()] = value if newline else "true"
        return values

    @property
    def state_dir(self) -> Path:
        """gitcoord's private files (snapshot cache, acknowledgements) inside the git dir."""
        return self.common_dir / "gitcoord"

    def config_flag(self, key: str) -> bool:
        """A boolean git config value (`key` lowercase), false when unset."""
        value = self.git_config.get(key, "").strip().lower()
        if value in ("true", "yes", "on"):
            return True
        return value.lstrip("-").isdigit() and int(value) != 0

    def tracks(self, typed: str) -> bool:
        """Whether git's index has a file named `typed` (relative to the current directory,
        taken literally: its wildcards are characters of the name)."""
        args = ["ls-files", "--error-unmatch", "--", f":(literal){typed}"]
        return run_git(args, cwd=str(self.cwd), check=False).returncode == 0

    def coordination(self, config: Config) -> tuple[str, str]:
        """(remote, remote key) of the coordination remote, for a store that pushes there:
        refused unless the repository is SHA-1, git is recent enough, and the remote is
        one of this clone's (or gitcoord.toml gives its URL)."""
        from gitcoord.core.config import coordination_remote  # (hooks that never push)
        from gitcoord.git.support import require_git, require_sha1

        require_sha1(self.git_config)
        require_git(self.state_dir)
        remote, key = coordination_remote(config)
        if not config.remote.url and f"remote.{remote.lower()}.url" not in self.git_config:
            raise UsageError(
                f"no git remote named {remote!r} in this repository",
                fix=f"git remote add {remote} URL  (or set [remote] url in gitcoord.toml)",
            )
        return remote, key

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
        from hashlib import sha256  # deferred: the hooks need only the agent name

        agent = self.agent()
        host = _hostname()
        worktree = str(self.toplevel)
        session = os.environ.get("GITCOORD_SESSION")
        if not session:
            # Keyed by host and path: a copy of the clone elsewhere (cp -r, an image) gets its own.
            where = sha256(f"{host}\0{worktree}".encode()).hexdigest()[:12]
            try:
                session = worktree_session(self.git_dir / "gitcoord" / f"session-{where}")
            except OSError as exc:
                if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                    raise
                session = where  # a read-only git dir: 0.1.1's id, all a reader can have
        return Identity(agent=agent, host=host, worktree=worktree, session=session)


def git_path(cwd: Path, name: str) -> Path:
    """Where `name` (e.g. "hooks") lives for the repository at `cwd` (`rev-parse --git-path`:
    core.hooksPath and worktrees honoured), made absolute against `cwd`."""
    out = run_git(["rev-parse", "--git-path", name], cwd=cwd).out.strip()
    path = Path(out)
    return path if path.is_absolute() else (cwd / path)


def worktree_session(path: Path) -> str:
    """The session id stored at `path`, created on first use (12 random hex characters).

    Race-free: the id is written whole to a file of this process's own and then hard-linked
    into place, which fails if another process got there first; everyone then reads the one
    that is there. So concurrent first commands in one working tree agree, and a reader never
    sees a half-written file. One small read on every later call.
    """
    try:
        return _read_session(path)
    except FileNotFoundError:
        pass
    fresh = os.urandom(6).hex()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{fresh}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, f"{fresh}\n".encode())
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass  # another process won: use its id
    except OSError:  # no hard links on this file system: exclusive create, same rule
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            pass
        else:
            try:
                os.write(fd, f"{fresh}\n".encode())
            finally:
                os.close(fd)
    finally:
        os.unlink(tmp)
    return _read_session(path)


def _read_session(path: Path) -> str:
    with open(path, "rb") as fh:
        raw = fh.read(64)
    session = raw.decode("ascii", "replace").strip()
    if not (6 <= len(session) <= 40 and all(ch in "0123456789abcdef" for ch in session)):
        raise UsageError(
            f"{path} does not hold a session id (expected hex digits, found {raw[:40]!r})",
            fix=f"rm {path}   (a new session id is made on the next command)",
        )
    return session


def _absolute(here: Path, path: str) -> Path:
    found = Path(path)
    return found if found.is_absolute() else (here / found).resolve()


def _hostname() -> str:
    # os.uname() is gethostname() on POSIX, without importing socket (~1.6 ms).
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()
