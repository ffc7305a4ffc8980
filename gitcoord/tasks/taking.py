"""The take's push, and what a take of a task with --paths adds (tasks/claims.py): the
claims checked before, carried in the same push, and the take undone when they fail.

An interrupt (SIGINT, SIGTERM, SIGHUP) that arrives while a take's push is on its way is
held until the push settles: a take that landed is then given back (its claims released)
before the interrupt goes on, so an interrupted take leaves the task pending and claims
nothing, never one without the other or a task running for a command that is gone.
"""

from __future__ import annotations

import builtins
import contextlib
import signal
from collections.abc import Iterator

from gitcoord.core.errors import GitcoordError, Refused
from gitcoord.core.task import Task
from gitcoord.core.task_moves import released
from gitcoord.core.textsafe import printable
from gitcoord.git.transport import RefUpdate
from gitcoord.protocol.types import Riders
from gitcoord.tasks.claims import claim_paths
from gitcoord.tasks.moving import renaming
from gitcoord.tasks.running import RunningTasks

HELD = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def interrupts_held() -> Iterator[list[int]]:
    """The signals in HELD are recorded, not acted on, inside the block (main thread only:
    elsewhere nothing is held); the caller delivers them again after it."""
    caught: list[int] = []
    previous = {}
    try:
        for signum in HELD:
            previous[signum] = signal.signal(signum, lambda got, _frame: caught.append(got))
    except ValueError:  # not the main thread: signals go to the main thread anyway
        pass
    try:
        yield caught
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class Taking(RunningTasks):
    def _paths_free(self, ready: builtins.list[Task]) -> builtins.list[Task]:
        """The tasks whose --paths no one else claims now (one fetch of the claims, only
        when some have paths); `why_none` names the holder when that leaves none."""
        if not any(t.paths for t in ready):
            return ready
        listing = self.claims.listing()
        free = []
        for task in ready:
            if claim_paths(task) is None:
                self.why_none = f"task {task.id} has --paths that are not claim paths"
            elif holders := self.claims.holders(task, listing):
                held = holders[0]
                self.why_none = printable(
                    f"task {task.id} waits for {held.path}, claimed by {held.agent}"
                )
            else:
                free.append(task)
        if free:
            self.why_none = ""
        return free

    def _push_take(
        self, task: Task, new: Task, hold: builtins.list[RefUpdate], ttl: int
    ) -> Task | None:
        """The take's one atomic push: `new` once it landed, None when a lease was stale
        (mover.culprits names the refs); interrupts held until it settles (see above)."""
        caught: builtins.list[int] = []
        try:
            with interrupts_held() as caught:
                got = self._push_once(task, new, hold, ttl)
        except GitcoordError:
            # The interrupt outranks the failure, which it may have caused (a SIGTERM to the
            # process group kills the push too): a worker must not retry past its stop.
            if caught:
                signal.raise_signal(caught[0])
            raise
        if caught:
            if got is not None:
                self._give_back(got, hold, "the take was interrupted")
                with contextlib.suppress(GitcoordError):  # else they end with their lease
                    self.claims.release(got, None, "the take was interrupted")
            signal.raise_signal(caught[0])
        return got

    def _push_once(
        self, task: Task, new: Task, hold: builtins.list[RefUpdate], ttl: int
    ) -> Task | None:
        """With --paths, the claim protocol's first write carries the take; when the
        claims are refused after it landed (an overlap only the read after the write
        shows), the task is given back."""
        if not task.paths:
            return self.mover.push(task, new, hold)
        riders = Riders(renaming(task, new) + hold)
        self.store.write_staged()
        try:
            self.mover.culprits = self.claims.take(task, riders, ttl)
        except Refused:
            if not riders.landed:
                raise
            self._give_back(new, hold, "its --paths were claimed meanwhile")
            return None  # try the next task; a fresh board shows who holds the paths
        except BaseException:
            if riders.landed:
                self._give_back(new, hold, "the take was interrupted")
            raise
        return None if self.mover.culprits else new

    def _give_back(self, new: Task, hold: builtins.list[RefUpdate], why: str) -> None:
        """Undo a take whose claims failed: pending again, no attempt counted, slot freed.
        Best effort: if the remote cannot be reached, the lease ends and reap returns it."""
        back = self.store.stage(released(new, f"not taken: {why}"), new.oid)
        freed = [RefUpdate(u.ref, None, new.oid) for u in hold]
        with contextlib.suppress(GitcoordError):
            self.mover.push(new, back, freed)
