"""git daemon (git:// protocol) on a loopback port, or inside a network namespace."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from ._proc import free_port, kill_tree, need_binary, port_open, spawn, wait_until
from .base import BaseServer, server_env


class GitDaemonServer(BaseServer):
    """`git daemon --enable=receive-pack --export-all --base-path=<root>/repos --reuseaddr`.

    url: git://<host>:<port>/<name>.git. Anyone may push (git:// has no authentication).
    With `prefix` (e.g. ["ip", "netns", "exec", NS]) the daemon runs under that command and
    `ready` replaces the loopback connect probe.
    """

    transport = "git"

    def __init__(
        self,
        agents: Iterable[str] = (),
        root: Path | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        prefix: Sequence[str] = (),
        ready: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(agents, root)
        self.host = host
        self.port = port if port is not None else free_port(host)
        self.prefix = list(prefix)
        self._ready = ready
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = self.run_dir / "git-daemon.log"

    def url(self, name: str, agent: str | None = None) -> str:
        return f"git://{self.host}:{self.port}/{self.stored_name(name)}.git"

    def start_server(self) -> None:
        git = need_binary("git")
        argv = [
            *self.prefix,
            git,
            "daemon",
            f"--listen={self.host}",
            f"--port={self.port}",
            f"--base-path={self.repos_dir}",
            "--export-all",
            "--enable=receive-pack",
            "--reuseaddr",
            "--informative-errors",
            f"--pid-file={self.run_dir / 'git-daemon.pid'}",
            str(self.repos_dir),
        ]
        self.proc = spawn(argv, self.log, env=server_env(self.server_home))
        wait_until(
            self._ready or (lambda: port_open(self.host, self.port)),
            self.proc,
            "git daemon",
            self.log,
        )

    def _processes(self) -> list[subprocess.Popen[bytes] | None]:
        return [self.proc]

    def kill_server(self) -> None:
        kill_tree(self.proc)
        self.proc = None
