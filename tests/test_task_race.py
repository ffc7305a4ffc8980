"""Races on the task queue (issue 15): takers in separate clones, started together, running
the real TaskQueue in-process over real git, over every transport (file, git, ssh, http,
gitolite). What they report is checked against the server's refs and each task's commit
chain, read on the server side.

Every transport has 8 takers. The queue is 40 tasks (16 through the pool) over file, git and
http; over ssh and gitolite, where each fetch and each push is an ssh login (~0.3 s alone,
seconds on a loaded 2-core machine), 16 (8 through the pool), to keep this file near 2
minutes.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest

from gitcoord.core import refnames
from tests.gitenv import Agent
from tests.taskenv import queue_as, server_history, server_refs, server_tasks, team

RACERS = 8
# tasks drained, and tasks through the 2-slot pool, per transport
DRAIN = {"file": 40, "git": 40, "http": 40, "ssh": 16, "gitolite": 16}
POOL = {"file": 16, "git": 16, "http": 16, "ssh": 8, "gitolite": 8}
# A taker finding the pool full looks again after this: over ssh each look is a login,
# and six takers looking at once would starve the two that hold the slots.
FULL_POOL_PAUSE = {"file": 0.02, "git": 0.02, "http": 0.05, "ssh": 0.25, "gitolite": 0.25}
pytestmark = [pytest.mark.every_transport, pytest.mark.timeout(300)]


def _worker(clone: str, env: dict[str, str], conn: Connection, barrier: Any, pause: float) -> None:
    queue = queue_as(clone, env)
    while (msg := conn.recv()) is not None:
        kind, ids, pool = msg
        try:
            if kind == "add":
                conn.send(("ok", [queue.add(f"work {i}", id=i, pool=pool).id for i in ids]))
                continue
            barrier.wait()
            done: list[str] = []
            while True:
                task = queue.take(pool=pool, ttl=600)
                if task is None and "slots are held" in queue.why_none:
                    time.sleep(pause)  # the pool is full: its tasks are not drained yet
                    continue
                if task is None:
                    break
                time.sleep(0.02)  # hold it a little, so that takers overlap
                done.append(queue.done(task.id).id)
            conn.send(("ok", done))
        except Exception:
            conn.send(("error", traceback.format_exc()))


class Takers:
    """One process per clone; `run` sends every worker its message and collects replies."""

    def __init__(self, agents: list[Agent], pause: float) -> None:
        ctx = mp.get_context("fork")
        self.barrier = ctx.Barrier(len(agents))
        self.conns: list[Connection] = []
        self.procs = []
        for agent in agents:
            parent, child = ctx.Pipe()
            args = (str(agent.path), agent.environ(), child, self.barrier, pause)
            proc = ctx.Process(target=_worker, args=args)
            proc.start()
            self.conns.append(parent)
            self.procs.append(proc)

    def run(self, kind: str, ids: list[list[str]], pool: str | None) -> list[list[str]]:
        for conn, mine in zip(self.conns, ids, strict=True):
            conn.send((kind, mine, pool))
        replies = [conn.recv() for conn in self.conns]
        errors = [detail for verdict, detail in replies if verdict == "error"]
        assert not errors, errors[0]
        return [detail for _, detail in replies]

    def close(self) -> None:
        for conn in self.conns:
            conn.send(None)
        for proc in self.procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()


@pytest.fixture
def takers(
    make_agent: Callable[[str], Agent], transport: str
) -> Iterator[tuple[list[Agent], Takers]]:
    agents = team(make_agent, [f"racer-{i}" for i in range(RACERS)], "[pools.pair]\nslots = 2\n")
    pool = Takers(agents, FULL_POOL_PAUSE[transport])
    try:
        yield agents, pool
    finally:
        pool.close()


def _drain(takers: Takers, count: int, pool: str | None) -> list[list[str]]:
    """Add `count` tasks (each worker adds its share at once), then all take and complete
    until none is left; each worker's completed task ids."""
    ids = [f"task-{n:03d}" for n in range(count)]
    takers.run("add", [ids[i::RACERS] for i in range(RACERS)], pool)
    return takers.run("drain", [[] for _ in range(RACERS)], pool)


def _exactly_once(repo: Path, agents: list[Agent], done: list[list[str]], count: int) -> None:
    """Every task completed once: by the workers' account, by the server's refs, and by each
    task's chain (one take and one completion, by the same owner, the one who reported it)."""
    reported = {task_id: agents[i].name for i, ids in enumerate(done) for task_id in ids}
    assert sum(len(ids) for ids in done) == len(reported) == count
    tasks = server_tasks(repo)
    assert sorted(t.ref for t in tasks.values()) == sorted(
        refnames.task_ref("done", i) for i in reported
    )
    for task in tasks.values():
        chain = server_history(repo, task.oid)
        assert [v.state for v in chain] == ["pending", "running", "done"], task.id
        owners = {v.owner.agent for v in chain[1:] if v.owner}
        assert owners == {reported[task.id]}, task.id
    assert server_refs(repo, refnames.SLOTS) == {}


def test_eight_takers_drain_the_queue_each_task_taken_and_done_once(
    takers: tuple[list[Agent], Takers], served_repo: Path, transport: str
) -> None:
    agents, pool = takers
    started = time.monotonic()
    count = DRAIN[transport]
    done = _drain(pool, count, None)
    _exactly_once(served_repo, agents, done, count)
    busy = sum(1 for ids in done if ids)
    print(f"\nTASK RACE {transport}: {count} tasks, {busy} of {RACERS} takers completed some, "
          f"{time.monotonic() - started:.1f}s")  # fmt: skip
    assert busy >= 2  # they did race


class Watcher(threading.Thread):
    """Reads the server's running task refs and slot refs over and over while a race runs,
    keeping the most of each seen at once. One `for-each-ref` reads each directory of loose
    refs once, so it never sees a task that completed and the task that took its slot
    after it together: a count it gives over the bound is a real breach."""

    def __init__(self, repo: Path) -> None:
        super().__init__(daemon=True)
        self.repo = repo
        self.stop = threading.Event()
        self.most_running = self.most_slots = self.reads = 0

    def run(self) -> None:
        running = refnames.task_ref("running", "")
        while not self.stop.is_set():
            refs = server_refs(self.repo, running, refnames.SLOTS)
            self.most_running = max(self.most_running, sum(r.startswith(running) for r in refs))
            self.most_slots = max(self.most_slots, sum(r.startswith(refnames.SLOTS) for r in refs))
            self.reads += 1
            self.stop.wait(0.005)  # a breath: a read is a process, the racers need the CPU


def test_eight_takers_on_a_two_slot_pool_never_run_more_than_two(
    takers: tuple[list[Agent], Takers], served_repo: Path, transport: str
) -> None:
    agents, pool = takers
    watcher = Watcher(served_repo)
    watcher.start()
    try:
        done = _drain(pool, POOL[transport], "pair")
    finally:
        watcher.stop.set()
        watcher.join(timeout=10)
    print(f"\nTASK POOL RACE {transport}: at most {watcher.most_running} running and "
          f"{watcher.most_slots} slot refs in {watcher.reads} reads of the server")  # fmt: skip
    assert watcher.reads > 10
    assert 1 <= watcher.most_running <= 2 and watcher.most_slots <= 2
    _exactly_once(served_repo, agents, done, POOL[transport])
