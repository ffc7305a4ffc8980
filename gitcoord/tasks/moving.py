"""One move of a task: one atomic push that deletes the old state's ref under a lease on its
OID and creates the new one under an empty lease (the git form of an atomic rename), with
the pool slot the task holds created, moved along or freed in the same push.

Exactly one concurrent mover wins each compare-and-swap; a loser gets None (a stale lease)
and re-reads. A push refused by the server raises; one that got no answer is settled by a
fresh read, and is never reported as landed unless that read shows it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from gitcoord.core import refnames
from gitcoord.core.errors import CannotVerify, UsageError
from gitcoord.core.task import Task, key_problem
from gitcoord.git.transport import PushOutcome, RefUpdate, git_said
from gitcoord.protocol.messages import push_refused
from gitcoord.store.taskstore import Board, TaskStore


def renaming(old: Task | None, new: Task) -> list[RefUpdate]:
    """The task's own refs: `old` (None: a new task) replaced by `new` (staged: its OID)."""
    if old is None:
        return [RefUpdate(new.ref, new.oid, None)]
    if new.ref == old.ref:
        return [RefUpdate(old.ref, new.oid, old.oid)]
    return [RefUpdate(old.ref, None, old.oid), RefUpdate(new.ref, new.oid, None)]


def freeing(board: Board, old: Task) -> list[RefUpdate]:
    """Delete the slots that hold `old` (a running version leaving running)."""
    if old.pool is None:
        return []
    return [RefUpdate(s.ref, None, s.oid) for s in board.pool_slots(old.pool) if s.oid == old.oid]


def free_slots(board: Board, pool: str, slots: int) -> list[int]:
    """The slot numbers of `pool` no ref holds, in a random order (concurrent takers then
    rarely meet at one); none when as many slots as the pool has are held."""
    held = board.pool_slots(pool)
    if len(held) >= slots:
        return []
    taken = {s.number for s in held}
    free = [n for n in range(slots) if n not in taken]
    noise = os.urandom(len(free))
    return [n for _, n in sorted(zip(noise, free, strict=True))]


def pool_size(pools: Mapping[str, int], pool: str) -> int:
    """[pools.NAME] slots; a usage error for a pool gitcoord.toml does not declare."""
    problem = key_problem(pool)
    if problem is not None:
        raise UsageError(f"invalid pool name {pool!r}: {problem}")
    size = pools.get(pool)
    if size is None:
        known = f"declared: {', '.join(sorted(pools))}" if pools else "it declares none"
        raise UsageError(
            f"no pool {pool!r} in gitcoord.toml ({known})",
            fix=f"declare it where the policy is committed: [pools.{pool}] slots = 2",
        )
    return size


def slot_ref(pool: str, number: int) -> str:
    return refnames.slot_ref(pool, number)


class Mover:
    def __init__(self, store: TaskStore) -> None:
        self.store = store
        self.culprits: set[str] = set()  # the refs whose stale lease failed the last push

    def push(self, old: Task | None, new: Task, extra: list[RefUpdate]) -> Task | None:
        """Move `old` to `new` (staged) with the slot updates `extra`: `new` when it landed,
        None when a lease was stale (someone moved a ref first: re-read)."""
        result = self.store.push([*renaming(old, new), *extra])
        self.culprits = {s.ref for s in result.culprits()}
        outcome = result.outcome
        if outcome is PushOutcome.LANDED:
            return new
        if outcome is PushOutcome.REFUSED:
            raise push_refused(result, self.store.remote)
        if outcome is PushOutcome.STALE:
            return None
        # Unanswered: only a fresh read tells whether it landed.
        board = self.store.fetch()
        if any(t.oid == new.oid and t.ref == new.ref for t in board.tasks):
            return new
        raise CannotVerify(
            f"the remote did not answer the push that moves task {new.id} "
            f"({git_said(result.result)}); a fresh read does not show it, but it may still land",
            fix=f"check with `gitcoord task show {new.id}`, then retry",
        )
