"""`git claim` / `gitcoord claim`: list, claim, release, renew and break claims."""

from __future__ import annotations

from typing import Annotated

import typer

from gitcoord.cli.claim_run import WAIT_FOREVER, run_claim

HELP = """List, claim, release, renew or break claims on paths.

A claim is a ref on the shared remote, created by an atomic compare-and-swap push:
a refused push is a refused claim. Claims on several paths are all-or-nothing.
A directory claim (trailing slash, or an existing directory) covers its subtree.

\b
Examples:
  git claim                          list live claims (* marks mine)
  git claim src/api.py -r "fix auth" claim a file for writing
  git claim -m read docs/            share a directory for reading
  git claim --wait=10m src/db.py     queue until the path is free
  git claim -d src/api.py --commit HEAD   release, recording the commit that landed
  git claim --renew                  extend all my claims (heartbeat)
  git claim --break src/x.py -r "holder is gone"   break another's claim (recorded)

Exit codes: 0 done, 1 refused (names the holder), 2 usage, 3 remote unreachable,
130 interrupted, 143 terminated (what was pushed and not yet verified is taken back).
"""

__all__ = ["HELP", "WAIT_FOREVER", "claim_command"]


def claim_command(
    paths: Annotated[
        list[str] | None, typer.Argument(help="Paths to claim or act on.", metavar="PATH...")
    ] = None,
    mode: Annotated[
        str, typer.Option("--mode", "-m", help="write, read or intent.", metavar="MODE")
    ] = "write",
    ttl: Annotated[
        str | None,
        typer.Option(
            "--ttl",
            help="Lease length: 90s, 30m, 2h, 1d (default from config).",
            metavar="DURATION",
        ),
    ] = None,
    reason: Annotated[
        str,
        typer.Option(
            "--reason", "-r", help="Why (shown to others; required by --break).", metavar="TEXT"
        ),
    ] = "",
    wait: Annotated[
        str | None,
        typer.Option(
            "--wait",
            help="Queue until free; --wait alone waits forever, --wait=10m at most 10m.",
            metavar="[=DURATION]",
        ),
    ] = None,
    delete: Annotated[bool, typer.Option("--delete", "-d", help="Release my claims.")] = False,
    all_: Annotated[bool, typer.Option("--all", help="With -d or --renew: all of mine.")] = False,
    commit: Annotated[
        str | None,
        typer.Option("--commit", help="With -d: the commit that landed the work.", metavar="SHA"),
    ] = None,
    renew: Annotated[bool, typer.Option("--renew", help="Extend my claims.")] = False,
    break_: Annotated[
        bool, typer.Option("--break", help="Break another agent's claim (needs -r).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    run_claim(
        paths=paths,
        mode=mode,
        ttl=ttl,
        reason=reason,
        wait=wait,
        delete=delete,
        all_=all_,
        commit=commit,
        renew=renew,
        break_=break_,
        as_json=as_json,
    )
