"""Real git servers for tests: file://, git daemon, sshd, nginx smart HTTP, gitolite3, and
network namespaces. Each server class is a context manager yielding an object with the
`Server` interface (see base.py); fixtures.py wraps them as pytest fixtures."""

from ._proc import CommandError, ServerStartError, ServerUnavailable
from .base import BaseServer, Server
from .file_server import FileServer
from .git_daemon import GitDaemonServer
from .gitolite import GitoliteServer
from .http import HttpServer
from .netns import NetnsLab
from .ssh import SshServer

__all__ = [
    "BaseServer",
    "CommandError",
    "FileServer",
    "GitDaemonServer",
    "GitoliteServer",
    "HttpServer",
    "NetnsLab",
    "Server",
    "ServerStartError",
    "ServerUnavailable",
    "SshServer",
]
