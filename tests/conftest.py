"""Fixtures: a seeded bare remote behind a real server, and agents alice, bob, carol cloned from it.

Every test that uses a remote runs over file:// and git:// by default; a test marked
`@pytest.mark.every_transport` also runs over ssh://, smart http:// and gitolite, and one marked
`@pytest.mark.transports("file")` runs over exactly those. The servers
come from tests/servers: one per transport for the whole session of each xdist worker, started
on first use and stopped by PID at the end; each test gets repositories of its own (missing
servers skip, or fail under CI=true).
Each agent process gets the deterministic base environment (tests/gitenv.py) with the server's
per-agent HOME on top: its own ~/.ssh/config Host alias, ~/.gitconfig and credentials.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.figures import clear_figures, summary_lines
from tests.gitenv import Agent, agent_env, base_env, clone, seed
from tests.servers import BaseServer
from tests.servers.fixtures import TRANSPORTS, ServerPool, server_pool

DEFAULT_TRANSPORTS = ("file", "git")
# Agents known to every server from the start (a gitolite key change costs a `gitolite setup`).
KNOWN_AGENTS = ("alice", "bob", "carol", "lead", *(f"racer-{i}" for i in range(8)))
__all__ = ["server_pool"]  # the session's servers, shared by every test of a worker


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "every_transport: run over file, git, ssh, http and gitolite remotes"
    )
    config.addinivalue_line("markers", "transports(*names): run over exactly these transports")
    if not hasattr(config, "workerinput"):  # the xdist controller, or a plain run
        clear_figures(config.rootpath)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "transport" in metafunc.fixturenames and not _parametrizes_transport(metafunc):
        only = metafunc.definition.get_closest_marker("transports")
        every = metafunc.definition.get_closest_marker("every_transport") is not None
        chosen = only.args if only else TRANSPORTS if every else DEFAULT_TRANSPORTS
        metafunc.parametrize("transport", chosen)


def _parametrizes_transport(metafunc: pytest.Metafunc) -> bool:
    """tests/servers parametrize `transport` themselves."""
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0]
        if "transport" in (names.split(",") if isinstance(names, str) else names):
            return True
    return False


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in summary_lines(terminalreporter.config.rootpath):
        terminalreporter.write_line(line)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return base_env(tmp_path / "home")


@pytest.fixture
def remote_server(transport: str, server_pool: ServerPool) -> Iterator[BaseServer]:
    """The worker's server for the transport, with repositories of this test's own."""
    with server_pool.scoped(transport, KNOWN_AGENTS) as srv:
        yield srv


@pytest.fixture
def remote_url(remote_server: BaseServer) -> str:
    """An empty bare repository `team` (make_agent seeds main), reached over the transport."""
    return remote_server.create_repo("team")


@pytest.fixture
def served_repo(remote_server: BaseServer, remote_url: str) -> Path:
    """The served bare repository on the server's disk (for server-side assertions)."""
    return remote_server.repo_path("team")


@pytest.fixture
def make_agent(
    tmp_path: Path, remote_server: BaseServer, remote_url: str
) -> Callable[[str], Agent]:
    seeded: list[bool] = []

    def make(name: str) -> Agent:
        remote_server.add_agent(name)
        agent = clone(remote_url, tmp_path / "agents" / name, name, agent_env(remote_server, name))
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
