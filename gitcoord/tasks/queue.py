"""The task queue on refs (issue 15): add, list, show and take; the moves of a running task
(heartbeat, done, fail, release, reap) are in tasks/running.py.

Every command reads a fresh board (one prefix fetch), decides with core/task_moves.py and
changes the remote with one atomic leased push per move (tasks/moving.py). `take` is the
seeds' atomic rename: of concurrent takers of one task, exactly one creates its running ref.
"""

from __future__ import annotations

import builtins  # `list` below is the queue's listing
import random
import time
from collections.abc import Sequence
from typing import Any

from gitcoord.core import refnames, timeutil
from gitcoord.core.errors import CannotVerify, Refused, UsageError
from gitcoord.core.task import (
    MAX_LIST,
    MAX_PRIORITY,
    STATES,
    Owner,
    Task,
    new_nonce,
    new_task_id,
    title_problem,
)
from gitcoord.core.task_moves import (
    candidates,
    never_ready,
    take_order,
    taken,
    whereabouts,
)
from gitcoord.git.transport import RefUpdate
from gitcoord.store.taskstore import Board, History
from gitcoord.tasks.base import check_id, storable
from gitcoord.tasks.moving import free_slots, pool_size, slot_ref
from gitcoord.tasks.running import RETRIES as MOVE_RETRIES
from gitcoord.tasks.taking import Taking

__all__ = ["Owner", "Task", "TaskQueue"]

POLL = 1.0  # seconds between looks for a ready task under `take --wait`
SPREAD = 16  # ready tasks a taker that lost the best one picks among at random
SPREAD = 16  # ready tasks a taker that lost the best one picks among, at random
MAX_PUSHES = 500  # lost races of one take before it gives up (each loss is another's win)


def spread(ready: builtins.list[Task]) -> builtins.list[Task]:
    """The order to try the ready tasks in: the best first, so an uncontended take gets
    exactly it; then the next SPREAD of the same priority in a random order, so takers
    that lost the best one to each other do not all meet again at the second (measured:
    16 takers pushed 2,210 times for 160 tasks in order, 480 times spread)."""
    if len(ready) < 3:
        return ready
    head, rest = ready[0], ready[1:]
    window = [t for t in rest[:SPREAD] if t.priority == rest[0].priority]
    random.shuffle(window)
    return [head, *window, *rest[len(window) :]]


class TaskQueue(Taking):
    """One per command: the queue on the coordination remote, as `me`."""

    # -- reading -------------------------------------------------------------------------

    def list(self, state: str | None = None) -> list[Task]:
        if state is not None and state not in STATES:
            raise UsageError(f"invalid state {state!r}: choose one of {', '.join(STATES)}")
        tasks = [t for t in self.board().tasks if state in (None, t.state)]
        return sorted(tasks, key=lambda t: (STATES.index(t.state), *take_order(t)))

    def show(self, task_id: str) -> tuple[Task, History]:
        """The task as it is now, and its versions (its commit chain), oldest first."""
        task = self.board().find(check_id(task_id))
        if task is None:
            raise Refused(f"no task {task_id} on the remote", fix="gitcoord task list")
        return task, self.store.history(task.oid)

    # -- add -----------------------------------------------------------------------------

    def add(
        self,
        title: str,
        *,
        id: str | None = None,  # (the spec's names shadow builtins here)
        body: str = "",
        input: Any = None,
        kind: str | None = None,
        priority: int = 0,
        after: Sequence[str] = (),
        pool: str | None = None,
        paths: Sequence[str] = (),
    ) -> Task:
        at = timeutil.now()
        task = Task(
            id=check_id(id) if id is not None else new_task_id(title, at),
            title=title,
            body=body,
            kind=kind,
            priority=priority,
            after=tuple(dict.fromkeys(check_id(a) for a in after)),
            pool=pool,
            paths=tuple(paths),
            input=input,
            created_at=at,
            nonce=new_nonce(),
        )
        self._check_new(task)
        board = self.board()
        there = board.find(task.id)
        if there is not None or any(i.ref.endswith("/" + task.id) for i in board.invalid):
            raise Refused(
                f"a task with id {task.id} exists ({there.state if there else 'invalid'})",
                fix="choose another --id, or leave it out for a new one",
            )
        missing = [a for a in task.after if board.find(a) is None]
        if missing:
            raise UsageError(f"--after {missing[0]}: no such task on the remote")
        staged = self.store.stage(task, None)
        if self.mover.push(None, staged, []) is None:
            raise Refused(f"a task with id {task.id} was added by someone else meanwhile")
        return staged

    def cancel(self, task_id: str, reason: str) -> Task:
        """Withdraw a pending task: failed, naming who cancelled it and why. Anyone may, as
        anyone may add one; a running task is its owner's to fail or release."""
        me = self._owner()
        check_id(task_id)
        for _ in range(MOVE_RETRIES):
            board = self.board()
            task = board.find(task_id)
            if task is None or task.state != "pending":
                raise Refused(
                    f"{whereabouts(task, task_id)}: only a pending task can be cancelled",
                    fix=f"gitcoord task show {task_id}",
                )
            new = task.version(
                state="failed",
                reason=f"cancelled by {me.agent}: {reason}",
                finished_at=timeutil.now(),
            )
            storable(new)
            if self.mover.push(task, self.store.stage(new, task.oid), []) is not None:
                return new._replace(ref=new.home)
        raise CannotVerify(
            f"task {task_id} kept changing while it was cancelled ({MOVE_RETRIES} tries)",
            fix=f"gitcoord task show {task_id}",
        )

    def _check_new(self, task: Task) -> None:
        """Every field as a reader will check it, before anything is pushed (exit 2)."""
        problem = title_problem(task.title)
        if problem is not None:
            raise UsageError(problem)
        if not -MAX_PRIORITY <= task.priority <= MAX_PRIORITY:
            raise UsageError(f"--priority is from {-MAX_PRIORITY} to {MAX_PRIORITY}")
        if task.id in task.after:
            raise UsageError(f"task {task.id} cannot come after itself")
        if len(task.after) > MAX_LIST or len(task.paths) > MAX_LIST:
            raise UsageError(f"at most {MAX_LIST} --after tasks and --paths")
        if task.kind is not None and not 0 < len(task.kind) <= 200:
            raise UsageError("--kind is 1 to 200 characters")
        if task.pool is not None:
            pool_size(self.config.pools, task.pool)
        self.contracts.check(task.kind, "input", task.input)
        storable(task)

    # -- take ----------------------------------------------------------------------------

    def take(
        self,
        task_id: str | None = None,
        *,
        pool: str | None = None,
        ttl: int | None = None,
        wait: float | None = None,
    ) -> Task | None:
        """The ready task of highest priority, oldest first, in `pool` (None: the tasks of
        no pool), or the task `task_id`, now running for me; None when none is ready
        (`why_none` says why). `wait` (seconds, math.inf: no limit) polls until one is."""
        owner = self._owner()
        lease = self._ttl(ttl)
        if task_id is not None:
            check_id(task_id)
        if pool is not None:
            pool_size(self.config.pools, pool)
        deadline = None if wait is None else time.monotonic() + wait
        self.hopeless = False  # the task asked for can never be taken: stop waiting
        while True:
            got = self._take_once(task_id, pool, owner, lease)
            left = 0.0 if deadline is None else deadline - time.monotonic()
            if got is not None or left <= 0 or self.hopeless:
                return got
            time.sleep(min(POLL, left))

    def _take_once(
        self, task_id: str | None, pool: str | None, owner: Owner, ttl: int
    ) -> Task | None:
        reaped = False
        for _ in range(MAX_PUSHES):
            board = self.board()
            ready = self._ready(board, task_id, pool)
            if not ready and not reaped and self._any_expired(board):
                # A queue heals itself: expired leases go back (reap) before "none ready".
                reaped = True
                self.notes += [f"note: reaped task {t.id}: {t.reason}" for t in self.reap()]
                continue
            if not ready:
                return None
            for task in spread(ready):
                got = self._take_this(board, task, owner, ttl)
                if got is not None or self.why_none:  # taken, or the pool is full
                    return got
            # Each of them was taken by another taker meanwhile: read again.
        raise CannotVerify(
            f"gave up taking a task after {MAX_PUSHES} races lost to other takers",
            fix="retry; if it persists, look for a process pushing task refs in a loop",
        )

    def _any_expired(self, board: Board) -> bool:
        at, skew = timeutil.now(), self.config.claims.clock_skew
        return any(t.is_expired(at, skew) for t in board.tasks)

    def _ready(self, board: Board, task_id: str | None, pool: str | None) -> builtins.list[Task]:
        """The tasks to try, in order; none, with `why_none` set, when none is ready."""
        running = refnames.task_ref("running", "")
        blocked = {r[len(running) :] for r in board.refs() if r.startswith(running)}
        if task_id is None:
            ready = candidates(board.tasks, pool, blocked)
            self.why_none = "" if ready else self._none_ready(board, pool)
            return self._paths_free(ready)
        task = board.find(task_id, "pending")
        ready = (
            [t for t in candidates(board.tasks, task.pool, blocked) if t.id == task_id]
            if task
            else []
        )
        stuck = never_ready(board.tasks).get(task_id) if task else None
        if task is None:
            self.why_none = whereabouts(board.find(task_id), task_id)
        elif stuck is not None:
            self.why_none = f"task {task_id} can never be taken: it comes after {stuck}, which " + (
                "failed" if board.find(stuck) else "is not on the remote"
            )
            self.hopeless = True
        elif not ready:
            waits = [a for a in task.after if board.find(a, "done") is None]
            self.why_none = f"task {task_id} waits for {', '.join(waits) or 'a ref in its way'}"
        else:
            self.why_none = ""
        return self._paths_free(ready)

    def _none_ready(self, board: Board, pool: str | None) -> str:
        where = f" in pool {pool}" if pool else " without a pool"
        pending = [t for t in board.tasks if t.state == "pending" and t.pool == pool]
        if not pending:
            return f"no pending task{where}"
        stuck = never_ready(board.tasks)
        never = sum(t.id in stuck for t in pending)
        if len(pending) == 1:
            said = " (it never can be taken: a task it comes after failed)" if never else ""
            return f"the pending task{where} waits for its --after tasks{said}"
        said = f" ({never} of them never can: a task they come after failed)" if never else ""
        return f"the {len(pending)} pending tasks{where} wait for their --after tasks{said}"

    def _take_this(self, board: Board, task: Task, owner: Owner, ttl: int) -> Task | None:
        """Take `task` (into a free slot of its pool): the running version, or None when
        another taker moved it first (or the pool is full: `why_none` says so)."""
        slots = pool_size(self.config.pools, task.pool) if task.pool else 0
        free = free_slots(board, task.pool, slots) if task.pool else [-1]
        while free:
            number = free.pop()
            at = timeutil.now()
            new = self.store.stage(taken(task, owner, at, ttl), task.oid)
            hold = [RefUpdate(slot_ref(task.pool, number), new.oid, None)] if task.pool else []
            got = self._push_take(task, new, hold, ttl)
            if got is not None:
                return got
            if {task.ref, new.ref} & self.mover.culprits or not hold:
                return None  # the task moved: try the next one
        held = (
            "its one slot is held by a running task"
            if slots == 1
            else f"all {slots} slots are held by running tasks"
        )
        self.why_none = f"pool {task.pool}: {held}"
        return None
