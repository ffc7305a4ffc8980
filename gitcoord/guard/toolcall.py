"""What a harness hook asks and what gitcoord answers, independent of any harness.

Each harness adapter (guard/harnesses/) turns its payload into a `ToolCall` and a `Verdict`
into its own reply protocol (`Reply`: exit status, stdout, stderr).
"""

from __future__ import annotations

from typing import NamedTuple

# ToolCall.action
WRITE = "write"  # a file tool that creates, edits or deletes the paths
READ = "read"  # a file tool that reads the paths
SHELL = "shell"  # a shell command: its targets come from parsing `command`
SESSION_START = "session-start"
OTHER = "other"  # a tool gitcoord has nothing to say about: allowed

# Verdict.decision
ALLOW = "allow"
DENY = "deny"
ASK = "ask"  # the harness asks the user; a harness without "ask" denies instead


class ToolCall(NamedTuple):
    action: str  # WRITE | READ | SHELL | SESSION_START | OTHER
    tool: str  # the tool as the harness names it ("Edit", "write_file", "apply_patch")
    cwd: str  # the payload's working directory (absolute); else the hook process's
    paths: tuple[str, ...] = ()  # WRITE/READ: as the payload names them (absolute or cwd-relative)
    command: str = ""  # SHELL: the command line
    session: str = ""  # the harness's session id; "" when the payload has none
    deletes: tuple[str, ...] = ()  # WRITE: those of `paths` the tool deletes


class Verdict(NamedTuple):
    decision: str  # ALLOW | DENY | ASK
    message: str = ""  # DENY/ASK: why, and the fix; ALLOW: a note for the agent ("" for none)
    context: str = ""  # SESSION_START: what the agent should know (identity, rules, claims)


class Reply(NamedTuple):
    """Exactly what the hook process does: exit with `exit_code`, after writing `stdout`
    and `stderr` (each "" for nothing)."""

    exit_code: int
    stdout: str = ""
    stderr: str = ""
