"""Bare repositories reached with file:// urls (no serving process)."""

from __future__ import annotations

from .base import BaseServer


class FileServer(BaseServer):
    """url: file:///<root>/repos/<name>.git. kill_server/restart are no-ops: there is no
    process to kill."""

    transport = "file"

    def url(self, name: str, agent: str | None = None) -> str:
        return self.repo_path(name).as_uri()
