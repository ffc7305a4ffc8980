"""The task store: task and pool-slot refs on the remote, mirrored beside the claims, read
into Tasks (core/task.py); and the one kind of write, an atomic leased push (git/transport).

    refs/tasks/<state>/<id>       -> refs/gitcoord/<remote>/tasks/<state>/<id>
    refs/task-slots/<pool>/<n>    -> refs/gitcoord/<remote>/task-slots/<pool>/<n>

Speaks only in refs and objects; tasks/queue.py decides what to write.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from gitcoord.core import refnames, timeutil
from gitcoord.core.claim import MAX_OBJECT_BYTES
from gitcoord.core.config import Config
from gitcoord.core.task import Task
from gitcoord.core.task_parse import InvalidTask, NewerTask, parse_task_commit
from gitcoord.core.task_refs import slot_at, task_at
from gitcoord.git.fetching import MIRROR_LOCK, fetch
from gitcoord.git.history import first_parents
from gitcoord.git.objects import CommitBatch, RefEntry, batch_check, list_refs, read_objects
from gitcoord.git.repo import Repo
from gitcoord.git.transport import PushResult, RefUpdate, push
from gitcoord.store.listing import InvalidRef

MAX_HISTORY = 1000  # commits of one task's chain that `task show` reads


class Slot(NamedTuple):
    """A ref under refs/task-slots/: a running task's place in a bounded pool."""

    ref: str
    pool: str
    number: int
    oid: str
    task: Task | None  # the running version it points to; None when that is no task
    problem: str = ""  # why it is not a valid slot ("" when it is)


class Board(NamedTuple):
    """The tasks and slots on the remote, as last fetched."""

    tasks: list[Task]
    invalid: list[InvalidRef]
    slots: list[Slot]
    fetched_at: float

    def find(self, task_id: str, state: str | None = None) -> Task | None:
        """The task with this id (in `state`); of several refs (a forged copy), the one
        furthest along: running, pending, failed, done."""
        found = [t for t in self.tasks if t.id == task_id and state in (None, t.state)]
        order = ("running", "pending", "failed", "done")
        return min(found, key=lambda t: order.index(t.state), default=None)

    def refs(self) -> set[str]:
        """Every task ref listed, valid or not."""
        return {t.ref for t in self.tasks} | {i.ref for i in self.invalid}

    def pool_slots(self, pool: str) -> list[Slot]:
        return [s for s in self.slots if s.pool == pool]


class History(NamedTuple):
    versions: list[Task]  # oldest first
    cut: bool  # older versions than these exist and were not read (MAX_HISTORY)


class TaskStore:
    def __init__(self, repo: Repo, config: Config) -> None:
        self.repo = repo
        self.config = config
        self.cwd = str(repo.toplevel)
        self.remote, self.remote_key = repo.coordination(config)
        self._unwritten = CommitBatch()

    def _mirror(self, prefix: str) -> str:
        return refnames.to_mirror(prefix, self.remote_key)

    # -- reading -------------------------------------------------------------------------

    def refspecs(self) -> list[str]:
        """The task and slot refs into their mirror, as a fresh board fetches them."""
        return [f"+{p}*:{self._mirror(p)}*" for p in (refnames.TASKS, refnames.SLOTS)]

    def fetch(self) -> Board:
        """A fresh board: one prefix fetch of the task and slot refs, then read."""
        lock = self.repo.state_dir / MIRROR_LOCK
        fetch(self.cwd, self.remote, self.refspecs(), None, lock, self.config.remote.timeout)
        return self.read()

    def read(self) -> Board:
        """The board in the local mirror, as last fetched; no network."""
        tasks_at, slots_at = self._mirror(refnames.TASKS), self._mirror(refnames.SLOTS)
        found = list_refs(self.cwd, tasks_at, slots_at)
        readable = [e.oid for e in found if e.type == "commit" and e.size <= MAX_OBJECT_BYTES]
        raw = read_objects(self.cwd, readable)
        tasks: list[Task] = []
        invalid: list[InvalidRef] = []
        slots: list[Slot] = []
        for e in found:
            ref = refnames.from_mirror(e.ref, self.remote_key)
            if e.ref.startswith(slots_at):
                slots.append(_slot(ref, e, raw))
                continue
            try:
                tasks.append(_task(ref, e, raw))
            except InvalidTask as exc:
                invalid.append(InvalidRef(ref, e.oid, str(exc), isinstance(exc, NewerTask)))
        return Board(tasks, invalid, slots, timeutil.now())

    def history(self, tip: str) -> History:
        """The versions of a task, oldest first, from its commit chain (first parents, the
        last MAX_HISTORY; a commit that is not a readable task version is left out)."""
        chain = first_parents(self.cwd, tip, MAX_HISTORY + 1)
        cut = len(chain) > MAX_HISTORY
        chain = chain[:MAX_HISTORY]
        small = [e.oid for e in batch_check(self.cwd, chain) if e and e.size <= MAX_OBJECT_BYTES]
        raw = read_objects(self.cwd, small)
        versions = []
        for oid in reversed(chain):
            try:
                versions.append(parse_task_commit(raw[oid], oid=oid))
            except (KeyError, InvalidTask):
                continue
        return History(versions, cut)

    # -- writing -------------------------------------------------------------------------

    def stage(self, task: Task, parent: str | None) -> Task:
        """`task` as a commit on `parent` (its previous version), written at the next push;
        returned with its OID and the ref it belongs at."""
        oid = self._unwritten.add(task.message(), parent)
        return task._replace(oid=oid, ref=task.home)

    def write_staged(self) -> None:
        """Write the staged commits, for a push that another store makes (a take with
        --paths goes out in the claim protocol's push)."""
        config = self.repo.git_config
        fmt = config.get("extensions.objectformat", "sha1")
        self._unwritten.write(self.repo.common_dir, fmt, config.get("core.sharedrepository"))

    def push(self, updates: Sequence[RefUpdate]) -> PushResult:
        """One atomic push, every ref leased (transport.push): the commits staged first.
        What lands is mirrored too (as a fetch would), so an owner's next move can lease on
        the version it pushed without fetching first (tasks/running.py)."""
        self.write_staged()
        track = self.refspecs() if not self.config.remote.url else []
        return push(self.cwd, self.remote, updates, track, self.config.remote.timeout)


def _task(ref: str, e: RefEntry, raw: dict[str, bytes]) -> Task:
    return task_at(ref, e.type, e.size, raw.get(e.oid), e.oid)


def _slot(ref: str, e: RefEntry, raw: dict[str, bytes]) -> Slot:
    read = slot_at(ref, e.type, e.size, raw.get(e.oid), e.oid)
    return Slot(ref, read.pool, read.number, e.oid, read.task, read.problem)
