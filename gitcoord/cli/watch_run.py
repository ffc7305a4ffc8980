"""What `gitcoord watch` does, without typer: the typer command (watch_cmd.py) and the lean
route (cli/direct_commands.py) both run it. One frame (`--once`) is a whole process, so
typer's import was a tenth of it."""

from __future__ import annotations

import sys
import time

from gitcoord.cli import watch_view
from gitcoord.cli.context import Context
from gitcoord.cli.log_lines import trail_lines
from gitcoord.cli.watch_view import Frame
from gitcoord.core import timeutil
from gitcoord.core.auditlog import withdrawn_attempts
from gitcoord.core.durations import parse_duration
from gitcoord.core.errors import GitcoordError
from gitcoord.core.textsafe import printable
from gitcoord.store.audit import mirrored_trail
from gitcoord.store.taskstore import TaskStore

EVENTS = 10  # audit entries a frame shows


def run_watch(once: bool, interval: str) -> int:
    """The frames: refreshed every `interval` until Ctrl-C, or one with `once`; as rich
    tables in a terminal, else plain text."""
    every = parse_duration(interval, what="--interval")
    ctx = Context.here()
    screen = Screen(ctx)
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.live import Live

        if once:
            Console().print(watch_view.rich(screen.frame()))
            return 0
        with Live(auto_refresh=False, vertical_overflow="crop") as live:
            while True:
                frame, problem = screen.refresh()
                live.update(watch_view.rich(frame, problem), refresh=True)
                time.sleep(every)
    if once:
        sys.stdout.write(watch_view.plain(screen.frame()))
        return 0
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
