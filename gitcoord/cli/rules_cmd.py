"""`gitcoord rules [--ack] [--json]`: show the rules file and its hash; acknowledge it."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from gitcoord.cli.context import Context, emit_json
from gitcoord.core.errors import UsageError
from gitcoord.store import localstate


def rules_command(
    ack: Annotated[
        bool, typer.Option("--ack", help="Record that I have read the rules at this hash.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show the team's rules file with its content hash and whether I acknowledged it.

    The rules are the committed ones in force: the base branch's as last fetched when it
    has a gitcoord.toml, else HEAD's; an uncommitted edit is not what is acknowledged.

    Commits are refused (check `rules`) until the committing agent has acknowledged the
    current hash; every commit then carries the trailers Gitcoord-Agent and Gitcoord-Rules.

    \b
    Examples:
      gitcoord rules          # read them
      gitcoord rules --ack    # then acknowledge
    """
    ctx = Context.here()
    name = ctx.config.rules_file
    # The rules in force are the committed ones (the policy's commit), as every check reads.
    content, digest = ctx.policy.rules, ctx.policy.rules_hash
    if content is None or digest is None:
        on_disk = (ctx.repo.toplevel / name).is_file()
        where = ctx.policy.source or "any commit"
        raise UsageError(
            f"there is no rules file {name} at {where}"
            + (" (the one in the working tree is not committed there yet)" if on_disk else ""),
            fix=f"git add {name} && git commit, and push it" if on_disk else "gitcoord init",
        )
    agent = ctx.me.agent
    if ack:
        localstate.record_ack(ctx.repo.state_dir, agent, name, digest)
    acked = localstate.acked_hash(ctx.repo.state_dir, agent)
    if as_json:
        emit_json(
            {
                "file": name,
                "hash": digest,
                "agent": agent,
                "acknowledged": acked == digest,
                "acknowledged_hash": acked,
            }
        )
        return
    if ack:
        print(f"acknowledged {name} at {digest} for {agent}")
        return
    state = "acknowledged" if acked == digest else "NOT acknowledged (run: gitcoord rules --ack)"
    print(f"{name} {digest} — {agent}: {state}\n")
    sys.stdout.write(content.decode("utf-8", "replace"))
