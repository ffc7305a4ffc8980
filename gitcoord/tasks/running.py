"""The moves of a running task: heartbeat, done, fail, release (by its owner) and reap (by
anyone, of expired ones). Each is one atomic push leased on the running version's OID, so
a late owner whose task was reaped and taken again is refused naming the new owner (exit
1), never completed twice.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from gitcoord.core import timeutil
from gitcoord.core.config import Config
from gitcoord.core.errors import CannotVerify, GitcoordError, Refused
from gitcoord.core.identity import Identity
from gitcoord.core.task import Task
from gitcoord.core.task_moves import extended, failed, finished, reaped, released
from gitcoord.git.repo import Repo
from gitcoord.git.transport import RefUpdate
from gitcoord.store.taskstore import Board
from gitcoord.tasks.base import QueueBase, check_id, storable
from gitcoord.tasks.claims import TaskClaims
from gitcoord.tasks.moving import free_slots, freeing, pool_size, slot_ref

RETRIES = 5  # stale leases in a row on my own running task (a reaper racing me) before giving up


class RunningTasks(QueueBase):
    def __init__(self, repo: Repo, config: Config, me: Identity) -> None:
        super().__init__(repo, config, me)
        self.notes: list[str] = []  # what a move that landed could not also do

    @cached_property
    def claims(self) -> TaskClaims:
        """The claims on tasks' --paths (built on first use: most tasks have none)."""
        return TaskClaims(self.store.repo, self.config, self.me)

    def heartbeat(self, task_id: str, *, ttl: int | None = None) -> Task:
        """Extend my running task's lease by `ttl` (default [tasks] ttl) from now."""
        lease = self._ttl(ttl)

        def make(task: Task) -> Task:
            # Its --paths' claims first: a lost claim fails the heartbeat (exit 1) before
            # the task's lease is extended, so the owner decides what becomes of it.
            self.claims.renew(task, lease)
            return extended(task, timeutil.now(), lease)

        return self._own_move(task_id, "heartbeat", make)

    def done(self, task_id: str, *, result: Any = None, commit: str | None = None) -> Task:
        """My running task is done, with `result` (checked against its kind's schema)."""

        def make(task: Task) -> Task:
            self.contracts.check(task.kind, "result", result)
            return finished(task, timeutil.now(), result, commit)

        return self._own_move(task_id, "complete", make)

    def fail(self, task_id: str, reason: str, *, retry: bool = False) -> Task:
        """My running task failed; with `retry`, pending again with one attempt more (failed
        once [tasks] max_attempts is reached)."""
        most = self.config.tasks.max_attempts
        return self._own_move(
            task_id,
            "fail",
            lambda t: failed(t, timeutil.now(), reason, retry=retry, max_attempts=most),
        )

    def release(self, task_id: str) -> Task:
        """Give my running task back, unfinished: pending, no attempt counted."""
        return self._own_move(
            task_id,
            "release",
            lambda t: released(t, f"released by {t.owner.agent}" if t.owner else ""),
        )

    def _own_move(self, task_id: str, verb: str, make: Callable[[Task], Task]) -> Task:
        """One move of my running task. The first try leases on the version in the mirror
        (where my own take or heartbeat put it), without a fetch; a stale lease, or a task
        the mirror does not show as mine, is read again from the remote."""
        owner = self._owner()
        check_id(task_id)
        board, fresh = self.store.read(), False
        for _ in range(RETRIES):
            task = board.find(task_id, "running")
            if task is None or not task.owned_by(owner.agent, owner.session):
                if not fresh:
                    board, fresh = self.board(), True
                    continue
                raise self.not_mine(board, task_id, verb)
            new = make(task)
            storable(new)
            new = self.store.stage(new, task.oid)
            slots = self._slots(board, task, new)
            got = self.mover.push(task, new, slots)
            if got is not None:
                if got.state != "running":
                    self._release_paths(got, verb)
                return got
            board, fresh = self.board(), True
        raise CannotVerify(
            f"task {task_id} kept changing while this {verb} was pushed ({RETRIES} tries)",
            fix=f"gitcoord task show {task_id}",
        )

    def _release_paths(self, task: Task, verb: str) -> None:
        """The claims on the task's --paths go with it. The move has landed, so a failure
        here is a note (`notes`), not the move's: the claims then end at their lease."""
        if not task.paths:
            return
        try:
            self.claims.release(task, task.commit, f"task {task.id}: {verb}")
        except GitcoordError as exc:
            self.notes.append(
                f"note: task {task.id}'s claims on its --paths were not released ({exc.message}); "
                "they end with their lease, or run `git claim -d` on them"
            )

    def _slots(self, board: Board, old: Task, new: Task) -> list[RefUpdate]:
        """The slot updates of a move: freed when the task leaves running; moved along to
        the new version by a heartbeat (or, when the slot was cleared meanwhile, taken
        again if one is free)."""
        if old.pool is None:
            return []
        held = freeing(board, old)
        if new.state != "running":
            return held
        if held:
            return [u._replace(new=new.oid) for u in held]
        free = free_slots(board, old.pool, pool_size(self.config.pools, old.pool))
        if not free:
            raise Refused(
                f"task {old.id} lost its slot in pool {old.pool} (its lease had expired) and "
                "all the pool's slots are held",
                fix=f"gitcoord task release {old.id}",
            )
        return [RefUpdate(slot_ref(old.pool, free[0]), new.oid, None)]

    def reap(self, *, dry_run: bool = False) -> list[Task]:
        """Expired running tasks back to pending with one attempt more, or failed after
        [tasks] max_attempts; the tasks moved (with `dry_run`, the moves that would be).
        Slots no running task holds any more are cleared too (`cleared`)."""
        board = self.board()
        at = timeutil.now()
        skew = self.config.claims.clock_skew
        moved: list[Task] = []
        for task in board.tasks:
            if not task.is_expired(at, skew):
                continue
            new = reaped(task, at, self.config.tasks.max_attempts)
            if dry_run:
                moved.append(new._replace(ref=new.home))
                continue
            got = self.mover.push(task, self.store.stage(new, task.oid), freeing(board, task))
            if got is not None:  # (None: its owner moved it first)
                moved.append(got)
        self.cleared = self.clear_dead_slots(board, at, skew, dry_run)
        return moved

    def clear_dead_slots(self, board: Board, at: float, skew: float, dry_run: bool) -> list[str]:
        """Delete slot refs that hold no running task: not a running version of a task of
        their pool, or one whose lease ended and that is no task's running ref (a running
        ref's own slot goes with its reap). A live version's slot is never touched."""
        running = {t.oid for t in board.tasks if t.state == "running"}
        stale = [
            s
            for s in board.slots
            if s.task is None or (s.oid not in running and s.task.is_expired(at, skew))
        ]
        if dry_run:
            return [s.ref for s in stale]
        cleared = []
        for s in stale:
            result = self.store.push([RefUpdate(s.ref, None, s.oid)])
            if result.landed:
                cleared.append(s.ref)
        return cleared
