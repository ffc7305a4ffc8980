"""The benchmark's world: a temporary HOME, bare remotes, and agents (clones) of them.

Agents come from tests/gitenv.py, so the benchmark runs the real CLI exactly as the
tests do: installed entry points, deterministic config, one process per command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.timing import check
from tests.gitenv import Agent, base_env, clone, make_bare, seed


@dataclass(frozen=True)
class Transport:
    """How agents reach a bare repository: `url(bare_path)`."""

    name: str
    url: Callable[[Path], str]


FILE = Transport("file://", lambda bare: bare.as_uri())


@dataclass
class World:
    root: Path
    env: dict[str, str] = field(init=False)
    _count: int = 0
    shared: dict[str, Path] = field(default_factory=dict)  # remotes reused across transports

    def __post_init__(self) -> None:
        self.env = base_env(self.root / "home")

    def fresh_dir(self, stem: str) -> Path:
        self._count += 1
        path = self.root / f"{stem}-{self._count}"
        path.mkdir(parents=True)
        return path

    def remote(self, transport: Transport, agents: int) -> list[Agent]:
        """A new seeded bare remote and `agents` clones of it (agent-1, agent-2, ...)."""
        return self.clones(self.bare(), transport, agents)

    def bare(self) -> Path:
        return make_bare(self.fresh_dir("remote") / "team.git", self.env)

    def clones(
        self, bare: Path, transport: Transport, count: int, stem: str = "agent"
    ) -> list[Agent]:
        """`count` clones of `bare` over `transport` (STEM-1, ...); seeds an empty remote."""
        url = transport.url(bare)
        base = self.fresh_dir("agents")
        out = [
            clone(url, base / f"{stem}-{n}", f"{stem}-{n}", self.env) for n in range(1, count + 1)
        ]
        if not self._has_main(bare):
            seed(out[0])
            for agent in out[1:]:
                agent.git("fetch", "-q", "origin")
        return out

    def _has_main(self, bare: Path) -> bool:
        refs = check(["git", "for-each-ref", "refs/heads/main"], bare, self.env)
        return bool(refs.strip())

    def empty_repo(self, url: str) -> Path:
        """A new repository with `origin` set and nothing fetched (a cold reader)."""
        path = self.fresh_dir("cold")
        check(["git", "init", "-q", str(path)], self.root, self.env)
        check(["git", "remote", "add", "origin", url], path, self.env)
        return path


def commit_object(agent: Agent, label: str) -> str:
    """A new parentless commit (empty tree) in the agent's clone, as a floor push payload."""
    tree = agent.git("hash-object", "-t", "tree", "-w", "/dev/null").strip()
    return agent.git("commit-tree", tree, "-m", f"floor {label}").strip()


def remote_url(agent: Agent) -> str:
    return agent.git("remote", "get-url", "origin").strip()
