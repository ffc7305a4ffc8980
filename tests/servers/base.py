"""The common interface of every test git server, and the shared implementation."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Protocol, Self, runtime_checkable

from ._proc import run

AGENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
REPO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")

# Variables that would make a git/ssh client escape the per-agent configuration.
_SCRUB = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_SSH",
    "GIT_SSH_COMMAND",
    "GIT_SSH_VARIANT",
    "GIT_ASKPASS",
    "SSH_ASKPASS",
    "SSH_AUTH_SOCK",
    "GIT_CONFIG",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_SYSTEM",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_PROXY_COMMAND",
    "http_proxy",
    "https_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
)


@runtime_checkable
class Server(Protocol):
    """What a test needs from a git server fixture."""

    transport: str  # "file" | "git" | "ssh" | "http" | "gitolite"
    agents: list[str]

    def add_agent(self, agent: str) -> None: ...
    def create_repo(self, name: str) -> str: ...
    def repo_path(self, name: str) -> Path: ...
    def url(self, name: str, agent: str | None = None) -> str: ...
    def client_env(self, agent: str) -> dict[str, str]: ...
    def env(self, agent: str) -> dict[str, str]: ...
    def install_hook(self, name: str, hook: str, script: str) -> Path: ...
    def kill_server(self) -> None: ...
    def start_server(self) -> None: ...
    def restart(self) -> None: ...


def server_env(home: Path) -> dict[str, str]:
    """Environment for server-side processes: no system or user git config leaks in."""
    return {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin") + ":/usr/sbin:/sbin",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }


class BaseServer:
    """Temp dir layout: <root>/repos (bare repos), <root>/homes/<agent> (client HOMEs),
    <root>/server-home (HOME of server-side git), <root>/run (pids, sockets, logs)."""

    transport: ClassVar[str] = "?"

    def __init__(self, agents: Iterable[str] = (), root: Path | None = None) -> None:
        self._own_root = root is None
        self.root = Path(tempfile.mkdtemp(prefix=f"gc-{self.transport}-")) if root is None else root
        self.root.mkdir(parents=True, exist_ok=True)
        # other users (gitolite's hosting user, nginx workers) must be able to traverse
        os.chmod(self.root, 0o711)
        self.repos_dir = self.root / "repos"
        self.homes_dir = self.root / "homes"
        self.run_dir = self.root / "run"
        self.server_home = self.root / "server-home"
        for d in (self.repos_dir, self.homes_dir, self.run_dir, self.server_home):
            d.mkdir(exist_ok=True)
        self.agents: list[str] = []
        self._gitconfigs: dict[str, str] = {}
        self._initial_agents = list(agents)
        self._started = False
        # Prefixed to every repository name while one test uses a shared server (fresh_scope).
        self.scope = ""

    # -- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> Self:
        try:
            self._setup()
            for agent in self._initial_agents:
                self.add_agent(agent)
            self.start_server()
            self._started = True
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.kill_server()
        finally:
            self._teardown()
            if self._own_root and not os.environ.get("GITCOORD_KEEP_SERVERS"):
                shutil.rmtree(self.root, ignore_errors=True)

    def _setup(self) -> None:
        """One-time preparation before agents are added and the server starts."""

    def _teardown(self) -> None:
        """Undo _setup (after the server processes are gone)."""

    def start_server(self) -> None:
        """Start the serving process(es); the port stays the same across restarts."""

    def kill_server(self) -> None:
        """SIGKILL the serving process(es) and all their children."""

    def restart(self) -> None:
        self.kill_server()
        self.start_server()

    def _processes(self) -> list[subprocess.Popen[bytes] | None]:
        """The serving processes (none for file://)."""
        return []

    def alive(self) -> bool:
        return all(p is not None and p.poll() is None for p in self._processes())

    @contextlib.contextmanager
    def fresh_scope(self, scope: str) -> Iterator[Self]:
        """Serve one test of many: its repository names get the prefix `scope`; afterwards
        its repositories go and the agents' ~/.gitconfig are restored, so the next test
        meets the server as new. A server an earlier test left killed is started again."""
        if not self.alive():
            self.restart()
        self.scope = scope
        try:
            yield self
        finally:
            self.scope = ""
            self._drop_repos(scope)
            for agent, text in self._gitconfigs.items():
                (self.home(agent) / ".gitconfig").write_text(text)

    def _drop_repos(self, scope: str) -> None:
        for path in self.repos_dir.glob(f"{scope}*.git"):
            shutil.rmtree(path, ignore_errors=True)

    # -- agents ---------------------------------------------------------------------------

    def home(self, agent: str) -> Path:
        return self.homes_dir / agent

    def add_agent(self, agent: str) -> None:
        if not AGENT_RE.match(agent):
            raise ValueError(f"bad agent name {agent!r}")
        if agent in self.agents:
            return
        home = self.home(agent)
        (home / ".config").mkdir(parents=True, exist_ok=True)
        self.agents.append(agent)
        extra = self._setup_agent(agent, home)
        lines = [
            "[user]",
            f"\tname = {agent}",
            f"\temail = {agent}@gitcoord.test",
            "[init]",
            "\tdefaultBranch = main",
            "[advice]",
            "\tdetachedHead = false",
            *extra,
        ]
        self._gitconfigs[agent] = "\n".join(lines) + "\n"
        (home / ".gitconfig").write_text(self._gitconfigs[agent])

    def _setup_agent(self, agent: str, home: Path) -> list[str]:
        """Per-transport client files in home; returns extra ~/.gitconfig lines."""
        return []

    def client_env(self, agent: str) -> dict[str, str]:
        """Variables to merge into os.environ for a process acting as agent."""
        if agent not in self.agents:
            raise KeyError(f"unknown agent {agent!r}; add_agent() it first")
        home = self.home(agent)
        return {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": agent,
            "GIT_AUTHOR_EMAIL": f"{agent}@gitcoord.test",
            "GIT_COMMITTER_NAME": agent,
            "GIT_COMMITTER_EMAIL": f"{agent}@gitcoord.test",
            "GIT_TERMINAL_PROMPT": "0",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
        }

    def env(self, agent: str) -> dict[str, str]:
        """A complete environment for an agent process: os.environ without variables that
        would bypass the agent's HOME (GIT_DIR, GIT_SSH_COMMAND, proxies, ...) plus
        client_env(agent)."""
        base = {k: v for k, v in os.environ.items() if k not in _SCRUB}
        base.update(self.client_env(agent))
        return base

    # -- repositories ---------------------------------------------------------------------

    def stored_name(self, name: str) -> str:
        """The repository's name on the server: `name` within the current test's scope."""
        return self.scope + name

    def repo_path(self, name: str) -> Path:
        return self.repos_dir / f"{self.stored_name(name)}.git"

    def url(self, name: str, agent: str | None = None) -> str:
        raise NotImplementedError

    def create_repo(self, name: str) -> str:
        """Create an empty bare repository (HEAD -> main) and return its url (the same for
        every agent: identity comes from the agent's HOME, never from the url)."""
        if not REPO_RE.match(name) or name.endswith(".git"):
            raise ValueError(f"bad repository name {name!r}")
        path = self.repo_path(name)
        if path.exists():
            raise FileExistsError(path)
        self._init_bare(self.stored_name(name), path)
        return self.url(name)

    def _init_bare(self, name: str, path: Path) -> None:
        run(
            ["git", "init", "--bare", "--quiet", "--initial-branch=main", str(path)],
            env=server_env(self.server_home),
        )

    def install_hook(self, name: str, hook: str, script: str) -> Path:
        """Write an executable server-side hook (e.g. "pre-receive") into repo name."""
        path = self.repo_path(name) / "hooks" / hook
        path.write_text(script)
        path.chmod(0o755)
        self._fix_owner(path)
        return path

    def _fix_owner(self, path: Path) -> None:
        """Give path to the server's unix user when that is not the caller."""
