"""Waiting for a task (`gitcoord task take --wait`, `gitcoord worker run`) through faults
of the network: a poll that cannot reach the remote is said on stderr and tried again after
a bounded backoff, for as long as the wait lasts. Without typer: the lean route of `task
take` (task_direct.py) runs it too.

Only CannotVerify heals this way (the remote unreachable, silent or racing): a usage error
or a refusal says the same on every poll, so it ends the wait at once.
"""

from __future__ import annotations

import math
import sys
import time

from gitcoord.core.durations import format_duration
from gitcoord.core.errors import CannotVerify, NeedsCleanup
from gitcoord.core.textsafe import printable
from gitcoord.tasks import Task, TaskQueue

FIRST_PAUSE = 1.0  # seconds before the first retry of a failed poll; doubled each time
LONGEST_PAUSE = 30.0  # the backoff's bound: a healed remote is seen within this


def take_waiting(
    queue: TaskQueue,
    task_id: str | None = None,
    *,
    pool: str | None = None,
    ttl: int | None = None,
    wait: float | None = None,
    who: str = "gitcoord",
) -> Task | None:
    """`queue.take`, polling for up to `wait` seconds (inf: no limit; None: one try,
    whose failure is the caller's). A poll that fails with CannotVerify is warned about
    (`who: warning: ...`) and retried after a backoff (1s, doubling, at most 30s, back to
    1s once polls succeed for a while) until the wait ends; then it is raised."""
    if wait is None:
        return queue.take(task_id, pool=pool, ttl=ttl)
    deadline = time.monotonic() + wait
    pause = FIRST_PAUSE
    while True:
        started = time.monotonic()
        try:
            return queue.take(task_id, pool=pool, ttl=ttl, wait=_left(deadline))
        except NeedsCleanup:
            raise  # a file in this clone blocks git: waiting will not remove it
        except CannotVerify as exc:
            left = _left(deadline)
            if left <= 0:
                raise
            if time.monotonic() - started > 2 * LONGEST_PAUSE:
                pause = FIRST_PAUSE  # it polled well for a while: a new fault
            nap = min(pause, left)
            print(
                printable(
                    f"{who}: warning: could not look for a task: {exc.message}; "
                    f"retrying in {format_duration(math.ceil(nap))}"
                ),
                file=sys.stderr,
                flush=True,
            )
            time.sleep(nap)
            pause = min(2 * pause, LONGEST_PAUSE)


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())  # (math.inf stays math.inf)
