"""pytest fixtures around the server context managers.

Use from a conftest.py:  ``from tests.servers.fixtures import *  # noqa: F403``
(tests/servers/conftest.py already does this for the tests next to it).

A server that cannot run here (binary missing, not root) skips the test with the reason,
except under CI=true, where it fails the test: CI must exercise every transport.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from typing import NoReturn

import pytest

from ._proc import ServerUnavailable
from .base import BaseServer
from .file_server import FileServer
from .git_daemon import GitDaemonServer
from .gitolite import GitoliteServer
from .http import HttpServer
from .netns import NetnsLab
from .ssh import SshServer

SERVER_CLASSES: dict[str, type[BaseServer]] = {
    "file": FileServer,
    "git": GitDaemonServer,
    "ssh": SshServer,
    "http": HttpServer,
    "gitolite": GitoliteServer,
}
TRANSPORTS = tuple(SERVER_CLASSES)
DEFAULT_AGENTS = ("alice", "bob")

__all__ = [
    "DEFAULT_AGENTS",
    "SERVER_CLASSES",
    "TRANSPORTS",
    "file_server",
    "git_daemon_server",
    "gitolite_server",
    "http_server",
    "make_server",
    "netns_lab",
    "server",
    "server_pool",
    "serving",
    "ssh_server",
    "unavailable",
]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def unavailable(exc: BaseException) -> NoReturn:
    """Skip (or, under CI=true, fail) the current test because a server cannot run."""
    if in_ci():
        pytest.fail(f"server unavailable under CI=true: {exc}", pytrace=False)
    pytest.skip(f"server unavailable: {exc}")


@contextlib.contextmanager
def serving(transport: str, agents: Iterable[str] = DEFAULT_AGENTS) -> Iterator[BaseServer]:
    """Start a server of the given transport (skip/fail if unavailable); stop it on exit."""
    with contextlib.ExitStack() as stack:
        try:
            srv = stack.enter_context(SERVER_CLASSES[transport](agents))
        except ServerUnavailable as exc:
            unavailable(exc)
        yield srv


class ServerPool:
    """One server per transport for a whole session (each xdist worker has its own), started
    when a test first needs it and stopped by PID when the session ends. A test gets it
    through `scoped`, with repositories of its own."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        self._stack = stack
        self._servers: dict[str, BaseServer] = {}
        self._missing: dict[str, ServerUnavailable] = {}
        self._tests = itertools.count(1)

    def _get(self, transport: str, agents: Iterable[str]) -> BaseServer:
        srv = self._servers.get(transport)
        if srv is None:
            if transport in self._missing:  # no second start attempt: skip or fail at once
                unavailable(self._missing[transport])
            try:
                srv = self._stack.enter_context(SERVER_CLASSES[transport](agents))
            except ServerUnavailable as exc:
                self._missing[transport] = exc
                unavailable(exc)
            self._servers[transport] = srv
        for agent in agents:
            srv.add_agent(agent)
        return srv

    @contextlib.contextmanager
    def scoped(self, transport: str, agents: Iterable[str]) -> Iterator[BaseServer]:
        """The shared server of `transport`, serving one test (BaseServer.fresh_scope)."""
        agents = list(agents)
        with self._get(transport, agents).fresh_scope(f"t{next(self._tests)}-") as srv:
            yield srv


@pytest.fixture(scope="session")
def server_pool() -> Iterator[ServerPool]:
    with contextlib.ExitStack() as stack:
        yield ServerPool(stack)


@pytest.fixture(params=TRANSPORTS)
def server(request: pytest.FixtureRequest) -> Iterator[BaseServer]:
    """Each transport in turn, with agents alice and bob."""
    with serving(request.param) as srv:
        yield srv


@pytest.fixture
def make_server() -> Iterator[Callable[..., BaseServer]]:
    """Factory: make_server("ssh", ["racer-1", "racer-2"]); all stopped at teardown."""
    with contextlib.ExitStack() as stack:

        def make(transport: str, agents: Iterable[str] = DEFAULT_AGENTS) -> BaseServer:
            return stack.enter_context(serving(transport, agents))

        yield make


@pytest.fixture
def file_server() -> Iterator[BaseServer]:
    with serving("file") as srv:
        yield srv


@pytest.fixture
def git_daemon_server() -> Iterator[BaseServer]:
    with serving("git") as srv:
        yield srv


@pytest.fixture
def ssh_server() -> Iterator[BaseServer]:
    with serving("ssh") as srv:
        yield srv


@pytest.fixture
def http_server() -> Iterator[BaseServer]:
    with serving("http") as srv:
        yield srv


@pytest.fixture
def gitolite_server() -> Iterator[BaseServer]:
    with serving("gitolite") as srv:
        yield srv


@pytest.fixture
def netns_lab() -> Iterator[NetnsLab]:
    """A lab with agent hosts alice and bob (no server started yet)."""
    with contextlib.ExitStack() as stack:
        try:
            lab = stack.enter_context(NetnsLab(DEFAULT_AGENTS))
        except ServerUnavailable as exc:
            unavailable(exc)
        yield lab
