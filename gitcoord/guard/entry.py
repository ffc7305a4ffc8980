"""`gitcoord guard --harness NAME`: one agent-harness hook call, its payload on stdin,
answered in that harness's protocol (guard/harnesses/). Lean like the git hooks: it imports
neither typer nor the other commands (cli/entry.py dispatches here first).

A payload it cannot read is refused (exit 2, which every harness here takes as "block");
an error while deciding refuses the call with the error's message and fix (fail closed:
the agent is told why, and how to go on).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from gitcoord.core.errors import ExitCode, GitcoordError, UsageError, log_crash, message_for
from gitcoord.guard.toolcall import ALLOW, DENY, OTHER, SESSION_START, ToolCall, Verdict

MAX_PAYLOAD = 32 * 1024 * 1024  # bytes: a patch payload carries whole files


def harness_name(argv: Sequence[str]) -> str:
    args = list(argv)
    for i, arg in enumerate(args):
        if arg == "--harness" and i + 1 < len(args):
            rest = args[:i] + args[i + 2 :]
            if not rest:
                return args[i + 1]
        if arg.startswith("--harness=") and len(args) == 1:
            return arg.split("=", 1)[1]
    raise UsageError(
        "usage: gitcoord guard --harness NAME   (the payload on stdin)",
        fix="gitcoord hooks install --harness NAME writes the hook that runs it",
    )


def _payload() -> dict[str, Any]:
    raw = sys.stdin.buffer.read(MAX_PAYLOAD + 1)
    if len(raw) > MAX_PAYLOAD:
        raise UsageError(f"the hook payload is over {MAX_PAYLOAD} bytes")
    try:
        payload = json.loads(raw)
    except ValueError:  # (UnicodeDecodeError and JSONDecodeError alike)
        raise UsageError("the hook payload on stdin is not JSON") from None
    if not isinstance(payload, dict):
        raise UsageError("the hook payload on stdin is not a JSON object")
    return payload


def verdict_for(call: ToolCall, harness: str, session_env: bool) -> Verdict:
    if call.action == OTHER:
        return Verdict(ALLOW)
    if call.action == SESSION_START:
        from gitcoord.guard.session_start import session_start

        return session_start(call, session_env)
    from gitcoord.guard.decide import decide

    try:
        return decide(call, harness, session_env)
    except GitcoordError as exc:  # e.g. the remote unreachable under fail-closed
        return Verdict(DENY, exc.render())


def main(argv: Sequence[str]) -> int:
    try:
        name = harness_name(argv)
        from gitcoord.guard.harnesses import harness

        module = harness(name)
        call = module.parse(_payload(), os.getcwd())
    except (Exception, KeyboardInterrupt) as exc:  # no harness protocol to answer in yet
        print(message_for(exc) or log_crash(exc, prefix="gitcoord-guard-crash-"), file=sys.stderr)
        return int(ExitCode.USAGE)  # 2: what every harness here takes as "block this call"
    try:
        verdict = verdict_for(call, name, module.SESSION_ENV)
    except Exception as exc:  # never a traceback to the agent: refuse, say where it is logged
        where = log_crash(exc, prefix="gitcoord-guard-crash-", where=" in gitcoord guard")
        verdict = Verdict(DENY, where)
    reply = module.reply(call, verdict)
    if reply.stdout:
        sys.stdout.write(reply.stdout)
        sys.stdout.flush()
    if reply.stderr:
        sys.stderr.write(reply.stderr)
        sys.stderr.flush()
    return reply.exit_code
