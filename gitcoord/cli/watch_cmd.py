"""`gitcoord watch [--once] [--interval D]`: the team's live view of the coordination remote
(claims, tasks by state, pools, expiring leases, the latest audit events), refreshed in
place until Ctrl-C; what it does is cli/watch_run.py, the frame cli/watch_view.py."""

from __future__ import annotations

from typing import Annotated

import typer

from gitcoord.cli.watch_run import run_watch


def watch_command(
    once: Annotated[
        bool,
        typer.Option("--once", help="Print one frame and exit (plain text unless a terminal)."),
    ] = False,
    interval: Annotated[
        str, typer.Option("--interval", help="Time between refreshes.", metavar="DURATION")
    ] = "2s",
) -> int:
    """Show the live claims with their holders and expiry, the tasks by state (running
    ones with their owners, when they were taken and when their lease ends), the pools'
    used and total slots, the leases that end within ten minutes, and the latest audit
    events; refreshed every --interval until Ctrl-C. With --once: one frame, as plain text
    when stdout is not a terminal. Without a terminal and without --once: a plain frame
    every --interval (a log).

    \b
    Examples:
      gitcoord watch
      gitcoord watch --once > frame.txt
      gitcoord watch --interval 10s
    """
    return run_watch(once=once, interval=interval)
