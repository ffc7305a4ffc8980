"""`gitcoord watch [--once] [--interval D]`: the team's live view of the coordination remote
(claims, tasks by state, pools, expiring leases, the latest audit events), refreshed in
place until Ctrl-C; the frame itself is cli/watch_view.py."""

from __future__ import annotations

import sys
import time
from typing import Annotated

import typer

from gitcoord.cli import watch_view
from gitcoord.cli.context import Context
from gitcoord.cli.log_cmd import trail_lines
from gitcoord.cli.watch_view import Frame
from gitcoord.core import timeutil
from gitcoord.core.auditlog import withdrawn_attempts
from gitcoord.core.durations import parse_duration
from gitcoord.core.errors import GitcoordError
from gitcoord.core.textsafe import printable
from gitcoord.store.audit import mirrored_trail
from gitcoord.store.taskstore import TaskStore

EVENTS = 10  # audit entries a frame shows


def watch_command(
    once: Annotated[
        bool,
        typer.Option("--once", help="Print one frame and exit (plain text unless a terminal)."),
    ] = False,
    interval: Annotated[
        str, typer.Option("--interval", help="Time between refreshes.", metavar="DURATION")
    ] = "2s",
) -> None:
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
    every = parse_duration(interval, what="--interval")
    ctx = Context.here()
    screen = Screen(ctx)
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.live import Live

        if once:
            Console().print(watch_view.rich(screen.frame()))
            return
        with Live(auto_refresh=False, vertical_overflow="crop") as live:
            while True:
                frame, problem = screen.refresh()
                live.update(watch_view.rich(frame, problem), refresh=True)
                time.sleep(every)
    if once:
        sys.stdout.write(watch_view.plain(screen.frame()))
        return
    while True:
        frame, problem = screen.refresh()
        sys.stdout.write(watch_view.plain(frame, problem) + "\n")
        sys.stdout.flush()
        time.sleep(every)


class Screen:
    """What watch reads for each frame, and the last frame it made."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.tasks = TaskStore(ctx.repo, ctx.config)
        self.last = Frame(f"gitcoord watch: {printable(ctx.store.remote)}", [])

    def frame(self) -> Frame:
        """A fresh frame: claims, the audit trail and tasks, by one fetch from the remote."""
        ctx = self.ctx
        listing = ctx.store.fetch_listing(all_logs=True, also=self.tasks.refspecs())
        board = self.tasks.read()
        entries = mirrored_trail(str(ctx.repo.toplevel), ctx.store.remote_key)
        self.last = watch_view.build(
            ctx.store.remote,
            timeutil.now(),
            listing,
            board,
            ctx.config.pools,
            trail_lines(entries, withdrawn_attempts(entries), EVENTS),
            ctx.viewer_holder,
            ctx.config.claims.clock_skew,
        )
        return self.last

    def refresh(self) -> tuple[Frame, str]:
        """A fresh frame, or the last one and what kept it from being refreshed (the
        remote unreachable, say): a live view outlasts a failed refresh."""
        try:
            return self.frame(), ""
        except GitcoordError as exc:
            at = timeutil.to_iso(timeutil.now())
            return self.last, printable(f"not refreshed at {at}: {exc.message}")
