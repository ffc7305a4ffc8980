"""The agent harnesses whose hooks `gitcoord guard --harness NAME` answers: one module each,
turning that harness's hook payload into a ToolCall and a Verdict into its reply protocol.

`harness(name)` imports only the module asked for: the guard runs on every tool call.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol, cast

from gitcoord.core.errors import UsageError
from gitcoord.guard.toolcall import Reply, ToolCall, Verdict

HARNESSES = ("claude", "gemini", "cursor", "codex", "copilot", "windsurf")


class Harness(Protocol):
    """What each module in this package provides."""

    NAME: str
    SUPPORTS_ASK: bool  # whether the harness honours an "ask" (else ASK is refused)
    # Whether the session-start hook gives the agent's own later shell commands the session
    # id (so its `git claim` and `git commit` run in the payload's session); where False they
    # run in the working tree's own session.
    SESSION_ENV: bool

    def parse(self, payload: dict[str, Any], fallback_cwd: str) -> ToolCall: ...

    def reply(self, call: ToolCall, verdict: Verdict) -> Reply: ...


def harness(name: str) -> Harness:
    """The module of harness `name`; UsageError listing the names for any other."""
    if name not in HARNESSES:
        raise UsageError(f"unknown harness {name!r}", fix=f"use one of: {', '.join(HARNESSES)}")
    return cast(Harness, importlib.import_module(f"{__name__}.{name}"))
