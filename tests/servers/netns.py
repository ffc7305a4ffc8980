"""Several hosts on one machine: network namespaces joined by veth pairs and a bridge.

Layout (addresses are private to the namespaces this module creates; nothing is routed to
the host's own network, and each lab has its own namespaces, so labs may run side by side):

    server namespace  <name>-s : bridge br0 10.231.0.1/24, loopback up
    agent namespaces  <name>-aN: eth0 10.231.0.(N+2)/24  <- veth ->  vethN on br0

A test runs agent commands with ``lab.run(agent, argv, env=...)`` (``ip netns exec``),
starts servers inside the server namespace with ``lab.git_daemon()`` / ``lab.sshd()``, and
partitions one agent with ``lab.cut(agent)`` / ``lab.heal(agent)``.

Cut modes:
  "down"      agent's eth0 down: its connections fail at once ("Network is unreachable").
  "blackhole" the server side of the agent's link down: packets vanish and connections hang
              until a timeout, like a real partition (use with a client timeout).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from ._proc import CommandError, ServerUnavailable, need_binary, need_root, run
from .git_daemon import GitDaemonServer
from .ssh import SshServer

SUBNET = "10.231.0"
_NAME_RE = re.compile(r"^gcn-(\d+)-[0-9a-f]+-(s|a\d+)$")


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run(["ip", *args], check=check, timeout=20)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_ns_pids(ns: str) -> None:
    res = _ip("netns", "pids", ns, check=False)
    for word in res.stdout.split():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(word), signal.SIGKILL)


def sweep_stale_namespaces() -> list[str]:
    """Delete namespaces left by labs whose creating process is dead."""
    removed = []
    res = _ip("netns", "list", check=False)
    for line in res.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        m = _NAME_RE.match(name)
        if m and not _pid_alive(int(m.group(1))):
            _kill_ns_pids(name)
            _ip("netns", "del", name, check=False)
            removed.append(name)
    return removed


class NetnsLab:
    """One server host and N agent hosts. Use as a context manager (namespaces are deleted,
    and every process left inside them killed, on exit)."""

    def __init__(self, agents: Iterable[str] = ()) -> None:
        self.name = f"gcn-{os.getpid()}-{secrets.token_hex(3)}"
        self.server_ns = f"{self.name}-s"
        self.server_addr = f"{SUBNET}.1"
        self.agents: list[str] = []
        self._initial = list(agents)
        self._namespaces: list[str] = []

    # lifecycle --------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        need_root("network namespaces")
        need_binary("ip")
        sweep_stale_namespaces()
        try:
            try:
                self._add_ns(self.server_ns)
            except CommandError as exc:
                raise ServerUnavailable(f"cannot create a network namespace: {exc}") from exc
            s = self.server_ns
            _ip("-n", s, "link", "set", "lo", "up")
            _ip("-n", s, "link", "add", "br0", "type", "bridge")
            _ip("-n", s, "addr", "add", f"{self.server_addr}/24", "dev", "br0")
            _ip("-n", s, "link", "set", "br0", "up")
            for agent in self._initial:
                self.add_agent(agent)
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
        for ns in reversed(self._namespaces):
            _kill_ns_pids(ns)
            _ip("netns", "del", ns, check=False)
        self._namespaces.clear()

    def _add_ns(self, ns: str) -> None:
        _ip("netns", "add", ns)
        self._namespaces.append(ns)

    # hosts ----------------------------------------------------------------------------------

    def add_agent(self, agent: str) -> None:
        if agent in self.agents:
            return
        i = len(self.agents)
        if i > 250:
            raise ValueError("at most 250 agent hosts per lab")
        ns = f"{self.name}-a{i}"
        self._add_ns(ns)
        self.agents.append(agent)
        s = self.server_ns
        _ip("-n", s, "link", "add", f"veth{i}", "type", "veth", "peer", "name", "eth0", "netns", ns)
        _ip("-n", s, "link", "set", f"veth{i}", "master", "br0")
        _ip("-n", s, "link", "set", f"veth{i}", "up")
        _ip("-n", ns, "link", "set", "lo", "up")
        _ip("-n", ns, "addr", "add", f"{self.agent_addr(agent)}/24", "dev", "eth0")
        _ip("-n", ns, "link", "set", "eth0", "up")

    def _index(self, agent: str) -> int:
        try:
            return self.agents.index(agent)
        except ValueError:
            raise KeyError(f"unknown agent host {agent!r}") from None

    def agent_ns(self, agent: str) -> str:
        return f"{self.name}-a{self._index(agent)}"

    def agent_addr(self, agent: str) -> str:
        return f"{SUBNET}.{self._index(agent) + 2}"

    def prefix(self, agent: str | None = None) -> list[str]:
        """Command prefix that runs a command on the agent's host (None: the server host)."""
        ns = self.server_ns if agent is None else self.agent_ns(agent)
        return ["ip", "netns", "exec", ns]

    def run(
        self,
        agent: str | None,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: Path | str | None = None,
        timeout: float = 60.0,
        check: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        """Run argv on the agent's host (None: the server host), capturing text output."""
        return run([*self.prefix(agent), *argv], env=env, cwd=cwd, timeout=timeout, check=check)

    # partitions -------------------------------------------------------------------------------

    def cut(self, agent: str, mode: str = "down") -> None:
        i = self._index(agent)
        if mode == "down":
            _ip("-n", self.agent_ns(agent), "link", "set", "eth0", "down")
        elif mode == "blackhole":
            _ip("-n", self.server_ns, "link", "set", f"veth{i}", "down")
        else:
            raise ValueError(f"unknown cut mode {mode!r}")

    def heal(self, agent: str) -> None:
        i = self._index(agent)
        _ip("-n", self.server_ns, "link", "set", f"veth{i}", "up")
        _ip("-n", self.agent_ns(agent), "link", "set", "eth0", "up")
        # forget neighbour entries that failed while cut, or the first connection after a
        # heal may still see "No route to host"
        _ip("-n", self.agent_ns(agent), "neigh", "flush", "dev", "eth0", check=False)
        _ip("-n", self.server_ns, "neigh", "flush", "dev", "br0", check=False)

    # servers on the server host ---------------------------------------------------------------

    def _listening(self, port: int) -> bool:
        res = run(
            [*self.prefix(None), "bash", "-c", f"exec 3<>/dev/tcp/{self.server_addr}/{port}"],
            check=False,
            timeout=10,
        )
        return res.returncode == 0

    def git_daemon(self, port: int = 9418) -> GitDaemonServer:
        """A git daemon on <server_addr>:port inside the server namespace (not started: use
        it as a context manager). Agents' urls: git://10.231.0.1:9418/<name>.git."""
        return GitDaemonServer(
            self.agents,
            host=self.server_addr,
            port=port,
            prefix=self.prefix(None),
            ready=lambda: self._listening(port),
        )

    def sshd(self, port: int = 22) -> SshServer:
        """An sshd on <server_addr>:port inside the server namespace (see SshServer)."""
        return SshServer(
            self.agents,
            host=self.server_addr,
            port=port,
            prefix=self.prefix(None),
            ready=lambda: self._listening(port),
        )
