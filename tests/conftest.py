"""Fixtures: a bare remote (file:// or git://) and agents alice, bob, carol cloned from it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.daemon import git_daemon
from tests.gitenv import Agent, base_env, clone, make_bare, require_tool, seed

TRANSPORTS = ["file", "git"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return base_env(tmp_path / "home")


@pytest.fixture(params=TRANSPORTS)
def remote_url(
    request: pytest.FixtureRequest, tmp_path: Path, env: dict[str, str]
) -> Iterator[str]:
    """A bare repository with a seeded main branch, reached over each transport."""
    served = tmp_path / "served"
    served.mkdir()
    bare = make_bare(served / "team.git", env)
    if request.param == "file":
        yield bare.as_uri()
    else:
        require_tool("git-daemon")
        with git_daemon(served, env) as base:
            yield base + "team.git"


@pytest.fixture
def make_agent(tmp_path: Path, env: dict[str, str], remote_url: str) -> Callable[[str], Agent]:
    seeded: list[bool] = []

    def make(name: str) -> Agent:
        agent = clone(remote_url, tmp_path / "agents" / name, name, env)
        if not seeded:
            seed(agent)
            agent.git("branch", "-q", "--set-upstream-to=origin/main")
            seeded.append(True)
        else:
            agent.git("pull", "-q", "origin", "main")
        return agent

    return make


@pytest.fixture
def alice(make_agent: Callable[[str], Agent]) -> Agent:
    return make_agent("alice")


@pytest.fixture
def bob(make_agent: Callable[[str], Agent], alice: Agent) -> Agent:
    return make_agent("bob")


@pytest.fixture
def carol(make_agent: Callable[[str], Agent], alice: Agent) -> Agent:
    return make_agent("carol")
