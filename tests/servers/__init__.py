"""Real git servers for tests: file://, git daemon, sshd, nginx smart HTTP, gitolite3, and
network namespaces. See fixtures.py for pytest fixtures."""

from ._proc import ServerStartError, ServerUnavailable
from .base import BaseServer, Server
from .file_server import FileServer
from .git_daemon import GitDaemonServer

__all__ = [
    "BaseServer",
    "FileServer",
    "GitDaemonServer",
    "Server",
    "ServerStartError",
    "ServerUnavailable",
]
