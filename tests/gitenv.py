"""A deterministic git environment and agents (clones) that run the real CLI as processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.servers import BaseServer

BIN = Path(sys.executable).parent


def base_env(home: Path) -> dict[str, str]:
    """Pinned config, dates and paths so hashes and outputs are stable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GITCOORD_"))}
    env.update(
        HOME=str(home),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TEMPLATE_DIR=str(home / "empty-template"),
        TZ="UTC",
        LC_ALL="C",
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        GIT_AUTHOR_DATE="2026-01-01T00:00:00Z",
        GIT_COMMITTER_DATE="2026-01-01T00:00:00Z",
    )
    (home / "empty-template").mkdir(parents=True, exist_ok=True)
    gitconfig = home / ".gitconfig"
    if not gitconfig.exists():
        gitconfig.write_text(
            "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
            '[protocol "file"]\n\tallow = always\n'
        )
    return env


def agent_env(server: BaseServer, agent: str) -> dict[str, str]:
    """base_env with the server's per-agent HOME (ssh config, credentials, ~/.gitconfig) on top.

    HOME must be the server's: OpenSSH and git's credential store read it. Variables that
    would let a client escape that HOME (ssh-agent socket, proxies, GIT_SSH_COMMAND, ...) go.
    """
    env = base_env(server.home(agent))  # keeps the server's ~/.gitconfig (written first)
    for name in set(os.environ) - set(server.env(agent)):
        env.pop(name, None)
    env.update(server.client_env(agent))
    return env


@dataclass
class Result:
    rc: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class Agent:
    name: str
    path: Path
    env: dict[str, str]
    extra: dict[str, str] = field(default_factory=dict)

    def environ(self) -> dict[str, str]:
        return {**self.env, "GITCOORD_AGENT": self.name, **self.extra}

    def run(self, *args: str, cwd: Path | None = None, timeout: float = 120) -> Result:
        """Run a command (e.g. 'git', 'claim', ...) in this agent's clone."""
        proc = subprocess.run(
            list(args),
            cwd=cwd or self.path,
            env=self.environ(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        """Start a command in this agent's clone, not waited for (text pipes on stdout and
        stderr): a process to race, signal or kill."""
        return subprocess.Popen(
            list(args),
            cwd=self.path,
            env=self.environ(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def claim(self, *args: str, **kw: Any) -> Result:
        return self.run("git", "claim", *args, **kw)

    def gitcoord(self, *args: str, **kw: Any) -> Result:
        return self.run("gitcoord", *args, **kw)

    def git(self, *args: str) -> str:
        res = self.run("git", *args)
        assert res.rc == 0, f"git {' '.join(args)} failed: {res.err}"
        return res.out

    def commit_file(self, rel: str, content: str = "x\n", message: str | None = None) -> None:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
        self.git("add", "--", rel)
        self.git("commit", "-q", "--no-verify", "-m", message or f"edit {rel}")

    def set_policy(self, text: str | None) -> None:
        """Commit gitcoord.toml (None: remove it): the checks read the committed policy,
        HEAD's here, since the test remotes' main has none."""
        if text is None:
            self.git("rm", "-q", "--", "gitcoord.toml")
            self.git("commit", "-q", "--no-verify", "-m", "drop the policy")
        else:
            self.commit_file("gitcoord.toml", text, "policy")


def make_bare(path: Path, env: dict[str, str]) -> Path:
    subprocess.run(["git", "init", "-q", "--bare", str(path)], env=env, check=True)
    return path


def clone(url: str, dest: Path, name: str, env: dict[str, str]) -> Agent:
    subprocess.run(["git", "clone", "-q", url, str(dest)], env=env, check=True, capture_output=True)
    for key, value in (("user.name", name), ("user.email", f"{name}@example.com")):
        subprocess.run(["git", "-C", str(dest), "config", key, value], env=env, check=True)
    return Agent(name=name, path=dest, env=env)


def seed(agent: Agent) -> None:
    """A first commit on main with a few files, pushed."""
    for rel in ("src/api.py", "src/db.py", "docs/guide.md", "README.md"):
        target = agent.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"{rel}\n")
    agent.git("add", "-A")
    agent.git("commit", "-q", "--no-verify", "-m", "seed")
    agent.git("push", "-q", "--no-verify", "origin", "HEAD:main")


def require_tool(name: str) -> str:
    """The tool's path; under CI=true a missing tool fails the test instead of skipping it."""
    import pytest

    found = shutil.which(name) or (
        f"/usr/lib/git-core/{name}" if Path(f"/usr/lib/git-core/{name}").exists() else None
    )
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} is required under CI=true but is not installed")
    pytest.skip(f"{name} is not installed")
