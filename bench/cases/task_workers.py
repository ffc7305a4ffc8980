"""16 workers draining 160 tasks, against 16 raw git processes doing the git a take and a
completion cannot do without for the same 160 tasks.

gitcoord: 16 `gitcoord worker run -- true` processes (16 clones) started at once; the time
runs until the remote holds 160 done tasks (read from the bare repository every 0.1 s).
Floor: 16 shell loops (16 clones) started at once, each moving its own 10 tasks, per task:
one prefix fetch of the task refs (a take must read the queue), one atomic leased push
pending -> running (the take) and one running -> done (the completion), with no races among
them: the rate git allows when every taker knows its task beforehand.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from pathlib import Path

from bench.cases.claim_latency import label
from bench.cases.concurrency import BusyCpu, busy_cpu_seconds
from bench.report import Results, Row, Target
from bench.task_queue import TASKS_FETCH, Spec, move_push, next_commit, populate
from bench.timing import BenchError, Plan, check, interleaved, timed_together
from bench.world import Transport, World
from tests.gitenv import Agent

TARGET = Target("≥ 0.5x raw push rate", least=0.5)
WORKERS = 16
TASKS = 160
EACH = TASKS // WORKERS
PATIENCE = 900.0  # seconds before a drain that does not finish fails the benchmark


def run(world: World, transport: Transport, plan: Plan, results: Results) -> None:
    work_bare, floor_bare = world.bare(), world.bare()
    workers = world.clones(work_bare, transport, WORKERS, stem="worker")
    floors = world.clones(floor_bare, transport, WORKERS, stem="floor")
    env = workers[0].env  # each agent's identity comes from its clone's user.email

    def raw(round_no: int) -> float:
        ids = [f"{label(round_no)}-{n:03d}" for n in range(TASKS)]
        oids = populate(floors[0], [Spec(i, "pending") for i in ids])
        jobs = [
            (["sh", "-c", _floor_script(a, ids[k * EACH : (k + 1) * EACH], oids, round_no)], a.path)
            for k, a in enumerate(floors)
        ]
        rate = TASKS / timed_together(jobs, env)
        _clear_done(floors[0], floor_bare, ids)
        return rate

    def drained(round_no: int) -> float:
        ids = [f"{label(round_no)}-{n:03d}" for n in range(TASKS)]
        populate(workers[0], [Spec(i, "pending") for i in ids])
        rate = TASKS / _drain(workers, work_bare, world.fresh_dir("worker-logs"))
        _clear_done(workers[0], work_bare, ids)
        return rate

    cpu = BusyCpu()
    # Each round is 160 tasks already, and one over SSH takes minutes: half the heavy runs,
    # no warm-up round (the workers' clones and the floor's are warmed by their set-up).
    rounds = max(2, plan.heavy_runs // 2)
    raw_stat, work_stat = interleaved(
        [cpu.counted("raw", raw), cpu.counted("workers", drained)], rounds, 0
    )
    if busy_cpu_seconds() > 0:
        per_raw = cpu.per_run("raw") / TASKS
        per_task = cpu.per_run("workers") / TASKS
        cores = os.cpu_count() or 1
        results.facts.append(
            f"CPU time over {transport.name} in the 16-worker case (the machine's busy time "
            f"while each side ran, /proc/stat, set-up and clean-up included): "
            f"{per_task * 1000:.0f} ms per task taken and completed by `worker run`, "
            f"{per_raw * 1000:.0f} ms per task moved by raw git; on {cores} cores that bounds "
            f"the workers at {cores / per_task:.1f} tasks/s and raw git at "
            f"{cores / per_raw:.1f}/s"
        )
    results.add(
        Row(
            f"{WORKERS} workers draining {TASKS} tasks",
            transport.name,
            TARGET,
            "raw fetch + 2 pushes per task",
            raw_stat,
            work_stat,
            rate=True,
        )
    )


def _floor_script(agent: Agent, ids: list[str], oids: dict[str, str], round_no: int) -> str:
    """One floor process's loop over its tasks; the commits are made before the clock."""
    check(TASKS_FETCH, agent.path, agent.environ())  # the pending tasks' objects
    lines = ["set -e"]
    for task_id in ids:
        running = next_commit(agent, oids[task_id], f"{label(round_no)} running")
        done = next_commit(agent, running, f"{label(round_no)} done")
        lines += [
            shlex.join([*TASKS_FETCH, "--quiet"]),
            shlex.join(move_push(task_id, "pending", oids[task_id], "running", running)),
            shlex.join(move_push(task_id, "running", running, "done", done)),
        ]
    return " >/dev/null\n".join(lines) + " >/dev/null\n"


def _done_count(bare: Path, env: dict[str, str]) -> int:
    out = check(["git", "for-each-ref", "--format=x", "refs/tasks/done/"], bare, env)
    return out.count(b"x")


def _drain(agents: list[Agent], bare: Path, logs: Path) -> float:
    """Seconds from starting one `gitcoord worker run -- true` per agent until the remote
    holds TASKS done tasks; then the workers are stopped (SIGTERM: they are waiting)."""
    env = agents[0].env
    start = time.perf_counter()
    procs = []
    for a in agents:
        with (logs / f"{a.name}.err").open("wb") as err:
            procs.append(
                subprocess.Popen(
                    ["gitcoord", "worker", "run", "--", "true"],
                    cwd=a.path,
                    env=a.environ(),
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                    start_new_session=True,
                )
            )
    try:
        while _done_count(bare, env) < TASKS:
            gone = [p for p in procs if p.poll() is not None]
            if gone or time.perf_counter() - start > PATIENCE:
                raise BenchError(
                    f"the workers did not drain the queue ({_done_count(bare, env)} of "
                    f"{TASKS} done, {len(gone)} workers exited); logs: {logs}"
                )
            time.sleep(0.1)
        elapsed = time.perf_counter() - start
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            p.wait(timeout=60)
    return elapsed


def _clear_done(agent: Agent, bare: Path, ids: list[str]) -> None:
    """Delete the round's done tasks (untimed), so every round drains the same queue: a
    take reads every task on the remote. Fails if any task is not done."""
    env = agent.environ()
    left = check(["git", "for-each-ref", "--format=%(refname)", "refs/tasks/"], bare, env)
    expected = sorted(f"refs/tasks/done/{i}" for i in ids)
    if sorted(left.decode().split()) != expected:
        raise BenchError(f"after the drain the remote holds other task refs: {left[:500]!r}")
    deletes = [f":{r}" for r in expected]
    check(["git", "push", "-q", "--atomic", "origin", *deletes], agent.path, env)
