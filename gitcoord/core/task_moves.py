"""The task queue's decisions as pure functions of the tasks and the time: which task a take
picks, and each move's next version of a task (tasks/queue.py pushes them). Pure.

Moves (each one atomic, leased push in tasks/queue.py):

    pending --take--> running --done--> done
                      running --fail--> failed        (--retry: pending, one attempt more)
                      running --release--> pending    (given back unfinished)
                      running --reap (lease expired)--> pending, one attempt more,
                                                       or failed after [tasks] max_attempts
    running --heartbeat--> running (a later expires_at)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gitcoord.core.task import Owner, Task
from gitcoord.core.textsafe import printable


def is_ready(task: Task, done: set[str]) -> bool:
    """Pending, and every task it comes `after` is done."""
    return task.state == "pending" and all(dep in done for dep in task.after)


def never_ready(tasks: Iterable[Task]) -> dict[str, str]:
    """The pending tasks that can never be ready: id -> the task in their way, one they
    come `after` (directly or through others) that failed or is not on the remote."""
    listed = list(tasks)
    states = {t.id: t.state for t in listed}
    pending = [t for t in listed if t.state == "pending"]
    stuck: dict[str, str] = {}
    changed = True
    while changed:  # a fixpoint: each round reaches one more step down the chains
        changed = False
        for task in pending:
            if task.id in stuck:
                continue
            for dep in task.after:
                if states.get(dep, "failed") == "failed" or dep in stuck:
                    stuck[task.id] = stuck.get(dep, dep)
                    changed = True
                    break
    return stuck


def take_order(task: Task) -> tuple[int, float, str]:
    """Highest priority first, then the oldest."""
    return (-task.priority, task.created_at, task.id)


def candidates(tasks: Iterable[Task], pool: str | None, blocked: set[str]) -> list[Task]:
    """The ready tasks of `pool` (None: the tasks without one) in take order; `blocked` are
    ids with a ref already in the way of their running ref (a forged or leftover ref)."""
    listed = list(tasks)
    done = {t.id for t in listed if t.state == "done"}
    ready = [t for t in listed if t.pool == pool and is_ready(t, done) and t.id not in blocked]
    return sorted(ready, key=take_order)


def taken(task: Task, owner: Owner, at: float, ttl: int) -> Task:
    return task.version(
        state="running",
        owner=owner,
        taken_at=at,
        heartbeat_at=at,
        expires_at=at + ttl,
        finished_at=None,
        reason="",
    )


def extended(task: Task, at: float, ttl: int) -> Task:
    return task.version(expires_at=at + ttl, heartbeat_at=at)


def finished(task: Task, at: float, result: Any, commit: str | None) -> Task:
    return task.version(state="done", result=result, commit=commit, finished_at=at, expires_at=None)


def released(task: Task, reason: str = "") -> Task:
    """Back to pending, unfinished: no attempt counted."""
    return task.version(
        state="pending",
        owner=None,
        taken_at=None,
        heartbeat_at=None,
        expires_at=None,
        reason=reason,
    )


def failed(task: Task, at: float, reason: str, *, retry: bool, max_attempts: int) -> Task:
    """Failed; with `retry`, pending again with one attempt more unless that was the last."""
    attempts = task.attempts + 1 if retry else task.attempts
    if retry and attempts < max_attempts:
        return released(task, reason)._replace(attempts=attempts)
    if retry:
        reason = f"{reason} (attempt {attempts} of {max_attempts}: no retries left)"
    return task.version(
        state="failed", reason=reason, attempts=attempts, finished_at=at, expires_at=None
    )


def reaped(task: Task, at: float, max_attempts: int) -> Task:
    """An expired running task: pending again with one attempt more, or failed when that
    was the last of [tasks] max_attempts."""
    attempts = task.attempts + 1
    who = task.owner.agent if task.owner else "nobody"
    reason = f"lease expired while running for {who} (attempt {attempts} of {max_attempts})"
    if attempts < max_attempts:
        return released(task, reason)._replace(attempts=attempts)
    return task.version(
        state="failed", reason=reason, attempts=attempts, finished_at=at, expires_at=None
    )


def whereabouts(task: Task | None, task_id: str) -> str:
    """Where a task is now, for a mover that no longer has it: names the new owner. Remote
    text is escaped (core/textsafe.printable)."""
    if task is None:
        return f"task {task_id} is not on the remote"
    if task.state == "running" and task.owner is not None:
        return printable(
            f"task {task_id} is running for {task.owner.agent} (session {task.owner.session})"
        )
    said = f" ({task.reason})" if task.reason else ""
    if task.state == "pending":
        return printable(f"task {task_id} is pending{said}")
    by = f" by {task.owner.agent}" if task.owner else ""
    return printable(f"task {task_id} is {task.state}{by}{said}")
