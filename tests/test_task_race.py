"""Races on the task queue (issue 15): takers in separate clones, started together, running
the real TaskQueue in-process over real git (file:// and git daemon). What they report is
checked against the server's refs and each task's commit chain, read on the server side.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest

from gitcoord.core import refnames
from gitcoord.git.objects import list_refs
from tests.gitenv import Agent
from tests.taskenv import server_history, server_refs, server_tasks, share_policy

RACERS = 8
pytestmark = pytest.mark.timeout(300)


def _worker(clone: str, env: dict[str, str], conn: Connection, barrier: Any) -> None:
    os.environ.clear()
    os.environ.update(env)
    from gitcoord.git.repo import Repo
    from gitcoord.store.policy_source import load_policy
    from gitcoord.tasks import TaskQueue

    repo = Repo.discover(clone)
    queue = TaskQueue(repo, load_policy(repo.toplevel).config, repo.identity())
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
                    time.sleep(0.01)  # the pool is full: its tasks are not drained yet
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

    def __init__(self, agents: list[Agent]) -> None:
        ctx = mp.get_context("fork")
        self.barrier = ctx.Barrier(len(agents))
        self.conns: list[Connection] = []
        self.procs = []
        for agent in agents:
            parent, child = ctx.Pipe()
            args = (str(agent.path), agent.environ(), child, self.barrier)
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
def takers(make_agent: Callable[[str], Agent]) -> Iterator[tuple[list[Agent], Takers]]:
    agents = [make_agent(f"racer-{i}") for i in range(RACERS)]
    share_policy("[pools.pair]\nslots = 2\n", agents[0], *agents[1:])
    pool = Takers(agents)
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


def test_eight_takers_drain_forty_tasks_each_taken_and_done_once(
    takers: tuple[list[Agent], Takers], served_repo: Path, transport: str
) -> None:
    agents, pool = takers
    started = time.monotonic()
    done = _drain(pool, 40, None)
    _exactly_once(served_repo, agents, done, 40)
    busy = sum(1 for ids in done if ids)
    print(f"\nTASK RACE {transport}: 40 tasks, {busy} of {RACERS} takers completed some, "
          f"{time.monotonic() - started:.1f}s")  # fmt: skip
    assert busy >= 2  # they did race


class Watcher(threading.Thread):
    """Reads the server's running task refs and slot refs over and over while a race runs,
    keeping the most of each seen at once. One `for-each-ref` reads each directory of loose
    refs once, so it never sees a task that completed and the task that took its slot
    after it together: a count it gives over the bound is a real breach."""

    def __init__(self, repo: Path) -> None:
        super().__init__(daemon=True)
        self.repo = str(repo)
        self.stop = threading.Event()
        self.most_running = self.most_slots = self.reads = 0

    def run(self) -> None:
        running = refnames.task_ref("running", "")
        while not self.stop.is_set():
            refs = [e.ref for e in list_refs(self.repo, running, refnames.SLOTS)]
            self.most_running = max(self.most_running, sum(r.startswith(running) for r in refs))
            self.most_slots = max(self.most_slots, sum(r.startswith(refnames.SLOTS) for r in refs))
            self.reads += 1


def test_eight_takers_on_a_two_slot_pool_never_run_more_than_two(
    takers: tuple[list[Agent], Takers], served_repo: Path, transport: str
) -> None:
    agents, pool = takers
    watcher = Watcher(served_repo)
    watcher.start()
    try:
        done = _drain(pool, 16, "pair")
    finally:
        watcher.stop.set()
        watcher.join(timeout=10)
    print(f"\nTASK POOL RACE {transport}: at most {watcher.most_running} running and "
          f"{watcher.most_slots} slot refs in {watcher.reads} reads of the server")  # fmt: skip
    assert watcher.reads > 10
    assert 1 <= watcher.most_running <= 2 and watcher.most_slots <= 2
    _exactly_once(served_repo, agents, done, 16)
