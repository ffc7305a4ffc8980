"""What `gitcoord task take|heartbeat|done` do, without typer: the typer commands
(task_cmd.py) and the lean route (task_direct.py) both call these with the same keywords,
so both routes run one implementation. Workers call them often; a command started through
typer pays its import, about as much as a take's two round trips to a LAN remote."""

from __future__ import annotations

import math
import sys

from gitcoord.cli.claim_options import WAIT_FOREVER
from gitcoord.cli.context import NOBODY, Context
from gitcoord.cli.task_output import json_value, print_notes, print_task
from gitcoord.cli.task_wait import take_waiting
from gitcoord.core.durations import parse_duration
from gitcoord.core.textsafe import printable
from gitcoord.tasks.queue import TaskQueue


def task_queue(ctx: Context, moving: bool = True) -> TaskQueue:
    """Moves need my identity (Context.me says how to set it); reads do not."""
    return TaskQueue(ctx.repo, ctx.config, ctx.me if moving else ctx.viewer or NOBODY)


def seconds(text: str | None, what: str) -> int | None:
    return None if text is None else parse_duration(text, what=what)


def run_take(
    task_id: str | None, pool: str | None, ttl: str | None, wait: str | None, as_json: bool
) -> int:
    """Take a task and print it: 0, or 1 when none is ready (saying why on stderr)."""
    queue = task_queue(Context.here())
    limit = math.inf if wait == WAIT_FOREVER else seconds(wait, "--wait")
    task = take_waiting(queue, task_id, pool=pool, ttl=seconds(ttl, "--ttl"), wait=limit)
    print_notes(queue.notes)
    print_task(task, as_json, f"took task {task.id}" if task else "")
    if task is None:
        print(printable(f"gitcoord: no task ready: {queue.why_none}"), file=sys.stderr)
        return 1
    return 0


def run_heartbeat(task_id: str, ttl: str | None, as_json: bool) -> int:
    task = task_queue(Context.here()).heartbeat(task_id, ttl=seconds(ttl, "--ttl"))
    print_task(task, as_json, f"extended the lease of task {task.id}")
    return 0


def run_done(task_id: str, result: str | None, commit: str | None, as_json: bool) -> int:
    ctx = Context.here()
    value = json_value(result, "--result")
    sha = None if commit is None else ctx.landed_commit(commit)
    queue = task_queue(ctx)
    task = queue.done(task_id, result=value, commit=sha)
    print_task(task, as_json, f"task {task.id} is done")
    print_notes(queue.notes)
    return 0
