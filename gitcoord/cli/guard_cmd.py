"""`gitcoord guard --harness NAME`'s help; the command itself runs without typer
(cli/entry.py hands it to guard/entry.py), this is what `-h` and a bad option show."""

from __future__ import annotations

from typing import Annotated

import typer

from gitcoord.guard.harnesses import HARNESSES


def guard_command(
    harness: Annotated[
        str,
        typer.Option(
            "--harness",
            help=f"The agent harness whose hook payload is on stdin: {', '.join(HARNESSES)}.",
            metavar="NAME",
        ),
    ],
) -> int:
    """Answer one agent-harness hook call (the edit-time guard): the payload on stdin, the
    reply in that harness's protocol.

    Before a tool writes, reads or runs a shell command, the agent's hook runs this. It
    refuses a write of a path another holder claims, a guarded path, a path outside the
    agent's role, or any write while the rules are unacknowledged; a read of a path whose
    guard says `read = "deny"` (or asks a human, where the harness can); with
    `[claims] auto = true` it claims a free path at the session's first write. Shell
    commands are parsed to find what they write and read; a command whose targets cannot be
    determined is allowed (the git hooks, CI and the server still check what it changed).
    At session start it tells the agent who it is, its role, the rules and others' claims.
    `gitcoord hooks install --harness NAME` writes the hook; docs/guard.md has the details.

    \b
    Example (what the installed hook runs):
      gitcoord guard --harness claude < payload.json
    """
    from gitcoord.guard.entry import main

    return main(["--harness", harness])
