"""SIGKILL of task workers at random points of take, heartbeat and done (issue 15): no task
lost, none completed twice, and every task ends done or back to pending through `reap`.

AGENTS agents work in parallel on one bare file:// remote, each in its own clone and pool.
Each trial adds a task of its own (in-process), then runs one real `gitcoord` process on it:
`task take ID`, `task heartbeat ID` or `task done ID` (the task taken in-process first), or
`worker run --once` with a command that runs past a heartbeat. That process is SIGKILLed at
a git call picked at random among those its command makes (tests/gitkill.py: before the
call, during it with the call running on, during it with the call cut too, or after it), or
after a random delay. Once nothing it started still runs, from the server's refs and the
task's commit chain: the task is at exactly one ref; its chain is a legal history (pending,
then running, heartbeats by the same owner, then done or, through reap, pending with one
attempt more; done at most once and last); the kill left it where that command may leave
it; no other task of the agent moved; the pool's slots are exactly its running tasks.

After each round, once every lease has ended, `gitcoord task reap` (another clone) must
return each running task to pending with one attempt more, free its slot and touch nothing
else, and a killed worker's late `done` or `heartbeat` is refused. At the end surviving
workers (one restarted in each clone, and the lead's) take and complete every pending task:
each task of the run is done exactly once, and one a killed command completed is done by
that version still. The summary line counts the trials, the kill points hit (which move,
which git call, how) and what the kills left.
"""

from __future__ import annotations

import random
import re
import shlex
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from gitcoord.core import refnames
from gitcoord.core.task import Task
from tests.gitenv import Agent
from tests.gitkill import MODES, GitKill, Victim, kill_now
from tests.taskenv import QueueProcess, server_history, server_refs, server_tasks, team

AGENTS = 6
ROUNDS = 3
PER_ROUND = 6  # trials of each agent in a round: 6 x 3 x 6 = 108 trials
OPS = ("take", "heartbeat", "done", "worker")
TTL = 1  # seconds: the leases of the trials' tasks
# The worker's command: past a heartbeat (every TTL/3), then a result and a marker that
# tells the kill point's phase (done, not a heartbeat) apart.
WORK = (
    'sleep 0.8; echo \'{"by": "worker"}\' >"$GITCOORD_TASK_RESULT"; '
    ': >"$GITKILL_STATE/cmd-finished"'
)
WORKER = ("--", "sh", "-c", WORK)
POLICY = "[claims]\nclock_skew = 0\n[tasks]\nmax_attempts = 5\n" + "".join(
    f"[pools.k{a}]\nslots = {PER_ROUND}\n" for a in range(AGENTS)
)
TIMED = 0.15  # share of trials killed after a random delay instead of at a git call
pytestmark = [pytest.mark.transports("file"), pytest.mark.timeout(400)]

# A running version's legal next versions (in these trials nothing fails or is released):
# a heartbeat, done, or back to pending through reap.
MOVES = {
    ("pending", "running"),
    ("running", "running"),
    ("running", "done"),
    ("running", "pending"),
}
# What a killed command may leave of its task (its chain's states), before any reap.
LEFT = {
    "take": r"pending( running)?",
    "heartbeat": r"pending running( running)?",
    "done": r"pending running( done)?",
    "worker": r"pending(( running)+( done)?)?",
}


@dataclass
class Tally:
    trials: Counter[str] = field(default_factory=Counter)
    points: Counter[str] = field(default_factory=Counter)  # phase of the kill
    calls: Counter[str] = field(default_factory=Counter)  # the git call and how it was cut
    timed: int = 0
    completed_first: int = 0
    left: Counter[str] = field(default_factory=Counter)  # op -> state right after the kill
    reaped: int = 0
    late_refused: int = 0
    survivor_done: int = 0
    removed: Counter[str] = field(default_factory=Counter)  # leftovers removed as told
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)


def illegal(chain: list[Task]) -> str | None:
    """Why a task's chain of versions is not a legal history; None when it is."""
    if not chain or chain[0].state != "pending" or chain[0].owner is not None:
        return "it does not start as a pending task"
    for prev, cur in pairwise(chain):
        move = (prev.state, cur.state)
        if cur.id != prev.id or move not in MOVES:
            return f"{prev.state} -> {cur.state}"
        if move[0] == "running" and cur.state != "pending" and cur.owner != prev.owner:
            return f"a version running for {prev.owner} moved by {cur.owner}"
        if move == ("running", "running") and cur.taken_at != prev.taken_at:
            return "taken again while running"
        if move == ("running", "pending") and cur.attempts != prev.attempts + 1:
            return "back to pending without an attempt counted (not a reap)"
    return None


def slot_problem(tasks: dict[str, Task], slots: dict[str, str], pool: str) -> str | None:
    """The pool's slot refs must be exactly its running tasks' versions, one each."""
    mine = [oid for ref, oid in slots.items() if ref.startswith(f"{refnames.SLOTS}{pool}/")]
    running = [t.oid for t in tasks.values() if t.pool == pool and t.state == "running"]
    if sorted(mine) != sorted(running):
        return f"pool {pool}: slots hold {sorted(mine)}, running are {sorted(running)}"
    return None


class Kills:
    """The run: agents, their clones' in-process queues and wrappers, and the tally."""

    def __init__(self, agents: list[Agent], lead: Agent, repo: Path, root: Path) -> None:
        self.agents, self.lead, self.repo = agents, lead, repo
        self.kills = [GitKill(a, root / a.name) for a in agents]
        self.queues = [QueueProcess(a) for a in agents]
        # After the trials, a worker restarted in each clone (a session of its own) and
        # the lead's finish the tasks, racing for those of no pool.
        self.survivors = [
            QueueProcess(a, {"GITCOORD_SESSION": f"survivor-{a.name}"}) for a in (lead, *agents)
        ]
        self.tally = Tally()
        self.ids: list[str] = []  # every task the run added
        self.completed: dict[str, str] = {}  # task id -> its done version, seen after a kill
        self.numbers = [0] * len(agents)
        self.calls: dict[str, list[str]] = {}  # op -> the git calls of an unkilled run
        self.typical: dict[str, float] = {}
        # The trials' commands, as many of each, in a random order.
        self.plan = [OPS[n % len(OPS)] for n in range(ROUNDS * len(agents) * PER_ROUND)]
        random.Random(15).shuffle(self.plan)

    def close(self) -> None:
        for q in (*self.queues, *self.survivors):
            q.close()

    def ask(self, a: int, method: str, *args: Any, **kwargs: Any) -> Any:
        """A move in agent a's clone; a leftover lock a kill left that gitcoord names
        (`then: rm PATH`) is removed as the message says, once, and the move retried."""
        verdict, value = self.queues[a].ask(method, *args, **kwargs)
        if verdict != "ok" and self.follow_hint(value):
            verdict, value = self.queues[a].ask(method, *args, **kwargs)
        assert verdict == "ok", value
        return value

    def follow_hint(self, said: str) -> bool:
        """A kill can leave .git/packed-refs.lock (and .new) behind; gitcoord names them and
        says `then: rm PATH...` (exit 3). Do as it says; whether there was such a hint."""
        hint = re.search(r"then: rm (.+)$", said, re.MULTILINE)
        if not hint:
            return False
        for path in shlex.split(hint.group(1)):
            Path(path).unlink(missing_ok=True)
            with self.tally.lock:
                self.tally.removed[Path(path).name] += 1
        return True

    # -- one trial ------------------------------------------------------------------------

    def new_task(self, a: int, op: str) -> tuple[str, str | None]:
        n = self.numbers[a]
        self.numbers[a] += 1
        task_id = f"k{a}-{n:03d}"
        pool = f"k{a}" if op == "worker" or n % 2 else None
        # Rising priorities: `worker run --once` takes this trial's task, the newest.
        self.ask(a, "add", f"trial {n}", id=task_id, pool=pool, priority=n)
        with self.tally.lock:
            self.ids.append(task_id)
        if op in ("heartbeat", "done"):
            taken = self.ask(a, "take", task_id, ttl=TTL)
            assert taken is not None and taken.state == "running", (task_id, taken)
        return task_id, pool

    def args(self, op: str, task_id: str, pool: str | None) -> list[str]:
        return {
            "take": ["task", "take", task_id, "--ttl", f"{TTL}s", "--json"],
            "heartbeat": ["task", "heartbeat", task_id, "--ttl", f"{TTL}s"],
            "done": ["task", "done", task_id, "--result", '{"by": "done"}'],
            "worker": ["worker", "run", "--once", f"--pool={pool}", f"--ttl={TTL}s", *WORKER],
        }[op]

    def calibrate(self) -> None:
        """Each command once (agents 0 to 3 at once), not killed: its git calls (the kill
        points to pick from) and how long it takes."""
        at_once(self.calibrate_op, list(enumerate(OPS)))

    def calibrate_op(self, a: int, op: str) -> None:
        task_id, pool = self.new_task(a, op)
        started = time.monotonic()
        victim = self.kills[a].spawn(self.args(op, task_id, pool))
        victim.settle()
        assert victim.proc.returncode == 0, victim.said()
        self.typical[op] = time.monotonic() - started
        self.calls[op] = victim.calls()
        assert any(verb(c) == "push" for c in self.calls[op]), self.calls[op]

    def trial(self, a: int, op: str, rng: random.Random) -> None:
        task_id, pool = self.new_task(a, op)
        before = self.agent_refs(a)
        calls = self.calls[op]
        timed = rng.random() < TIMED
        at, mode = (0, "timed") if timed else pick(calls, rng)
        victim = self.kills[a].spawn(
            self.args(op, task_id, pool), at=at, mode=mode, sleep=rng.uniform(0, 0.05)
        )
        if timed:
            time.sleep(rng.uniform(0, 1.5 * self.typical[op]))
            kill_now(victim)
        victim.settle()
        killed = victim.proc.returncode == -9
        where = f"{self.agents[a].name} {op} {task_id} killed at {mode} {victim.hit()}"
        with self.tally.lock:
            self.tally.trials[op] += 1
            self.tally.timed += timed
            self.tally.completed_first += not killed
            if victim.hit():
                self.tally.points[phase(op, victim)] += 1
                what = verb(victim.calls()[victim.hit() - 1])
                self.tally.calls[f"{what if what in ('push', 'fetch') else 'local'} {mode}"] += 1
        if not killed and victim.proc.returncode != 0:
            self.tally.problem(f"{where}: exit {victim.proc.returncode}: {victim.said()}")
        self.check_left(a, op, task_id, before, where)

    def agent_refs(self, a: int) -> dict[str, str]:
        refs = server_refs(self.repo, refnames.TASKS, refnames.SLOTS)
        return {
            r: oid
            for r, oid in refs.items()
            if r.rsplit("/", 1)[1].startswith(f"k{a}-") or r.startswith(f"{refnames.SLOTS}k{a}/")
        }

    def check_left(self, a: int, op: str, task_id: str, before: dict[str, str], where: str) -> None:
        """What the killed command left, read from the server."""
        after = self.agent_refs(a)
        moved = {r for r in before.keys() | after.keys() if before.get(r) != after.get(r)}
        others = {r for r in moved if not r.endswith(f"/{task_id}") and refnames.SLOTS not in r}
        if others:
            self.tally.problem(f"{where}: moved other refs {sorted(others)}")
        tasks = server_tasks(self.repo)
        found = [t for t in tasks.values() if t.id == task_id]
        if len(found) != 1:
            self.tally.problem(f"{where}: the task is at {len(found)} refs: {found}")
            return
        chain = server_history(self.repo, found[0].oid)
        states = " ".join(v.state for v in chain)
        with self.tally.lock:
            self.tally.left[f"{op}: {found[0].state}"] += 1
            if found[0].state == "done":
                self.completed[task_id] = found[0].oid
        why = illegal(chain) or slot_problem(tasks, server_refs(self.repo, refnames.SLOTS), f"k{a}")
        if why is None and not re.fullmatch(LEFT[op], states):
            why = f"a killed {op} cannot leave the history {states}"
        owners = {v.owner.agent for v in chain if v.owner}
        if why is None and owners - {self.agents[a].name}:
            why = f"owners {owners}"
        if why is not None:
            self.tally.problem(f"{where}: {why}")

    # -- rounds ---------------------------------------------------------------------------

    def round(self, round_no: int) -> None:
        at_once(self.agent_round, [(a, round_no) for a in range(len(self.agents))])
        self.reap(round_no)

    def agent_round(self, a: int, round_no: int) -> None:
        rng = random.Random(1000 * round_no + a)
        first = (round_no * len(self.agents) + a) * PER_ROUND
        try:
            for op in self.plan[first : first + PER_ROUND]:
                self.trial(a, op, rng)
        except Exception:
            self.tally.problem(f"{self.agents[a].name}: {traceback.format_exc()}")

    def reap(self, round_no: int) -> None:
        """Once every lease has ended: reap returns each running task to pending, freeing
        its slot; then the killed owners' late moves are refused."""
        before = server_tasks(self.repo)
        running = {t.id: t for t in before.values() if t.state == "running"}
        ends = [t.expires_at or 0.0 for t in running.values()]
        time.sleep(max(0.0, max(ends, default=0.0) - time.time()) + 0.05)
        res = self.lead.gitcoord("task", "reap", "--json")
        assert res.rc == 0, res.err
        reaped = sorted(t["id"] for t in res.json()["reaped"])
        refs = server_tasks(self.repo)
        after = {t.id: t for t in refs.values()}
        if reaped != sorted(running):
            self.tally.problem(f"reap moved {reaped}, the running tasks were {sorted(running)}")
        touched = [
            r
            for r, t in before.items()
            if t.state != "running" and t.oid != getattr(refs.get(r), "oid", "")
        ]
        if touched:
            self.tally.problem(f"reap moved tasks that were not running: {touched}")
        for task_id, was in running.items():
            now = after[task_id]
            if now.state != "pending" or now.attempts != was.attempts + 1:
                self.tally.problem(f"reap left {task_id} {now.state} ({now.attempts} attempts)")
        self.tally.reaped += len(running)
        left = server_refs(self.repo, refnames.SLOTS)
        if left:
            self.tally.problem(f"slots held after the reap: {sorted(left)}")
        self.late_owners(running, after, round_no)

    def late_owners(self, running: dict[str, Task], after: dict[str, Task], round_no: int) -> None:
        """One reaped task of each agent (all at once): its killed owner's late `done` or
        `heartbeat` exits 1 saying the task is pending, and moves nothing."""
        late = []
        for a, agent in enumerate(self.agents):
            held = sorted(i for i, t in running.items() if t.owner and t.owner.agent == agent.name)
            if held:
                verb = ("done", "heartbeat")[(round_no + a) % 2]
                late.append((agent, verb, held[-1], after[held[-1]].oid))
        at_once(self.late_owner, late)

    def late_owner(self, agent: Agent, verb: str, task_id: str, oid: str) -> None:
        res = agent.gitcoord("task", verb, task_id)
        if res.rc != 0 and self.follow_hint(res.err):
            res = agent.gitcoord("task", verb, task_id)
        now = server_refs(self.repo, refnames.TASKS)
        if (
            res.rc != 1
            or "pending" not in res.err
            or now.get(refnames.task_ref("pending", task_id)) != oid
        ):
            self.tally.problem(f"late {verb} of {task_id}: exit {res.rc} {res.err}")
        else:
            with self.tally.lock:
                self.tally.late_refused += 1

    def finish(self) -> None:
        """The survivors take and complete every pending task: all of them those of no
        pool, then each agent's its own pool's (the lead's: none)."""
        at_once(self.survive, list(enumerate(self.survivors)))

    def survive(self, n: int, survivor: QueueProcess) -> None:
        try:
            for pool in (None, f"k{n - 1}") if n else (None,):
                while (task := survivor.call("take", pool=pool, ttl=120)) is not None:
                    survivor.call("done", task.id, result={"by": "survivor"})
                    with self.tally.lock:
                        self.tally.survivor_done += 1
        except Exception:
            self.tally.problem(f"survivor {n}: {traceback.format_exc()}")

    def check_all_done_once(self) -> None:
        tasks = server_tasks(self.repo)
        by_id: dict[str, list[Task]] = {}
        for t in tasks.values():
            by_id.setdefault(t.id, []).append(t)
        if sorted(by_id) != sorted(self.ids):
            lost = sorted(set(self.ids) - set(by_id))
            self.tally.problem(f"tasks lost {lost}, unknown {sorted(set(by_id) - set(self.ids))}")
        for task_id, found in sorted(by_id.items()):
            chain = server_history(self.repo, found[0].oid)
            states = [v.state for v in chain]
            why = illegal(chain)
            if len(found) != 1 or found[0].state != "done" or states.count("done") != 1 or why:
                self.tally.problem(f"{task_id}: at {[t.ref for t in found]}, {states}: {why}")
            # Done is for good: a task a killed command completed is not done again (its
            # done version would no longer be the task's, even if the new chain looks legal).
            elif self.completed.get(task_id, found[0].oid) != found[0].oid:
                self.tally.problem(f"{task_id} was done as {self.completed[task_id]}, then again")
        if server_refs(self.repo, refnames.SLOTS):
            self.tally.problem(f"slots left: {server_refs(self.repo, refnames.SLOTS)}")


def at_once(work: Callable[..., None], args: list[tuple[Any, ...]]) -> None:
    """`work(*a)` for each `a` of `args`, each in a thread of its own; returns when all
    returned (an exception fails the run: tally problems are how a trial reports)."""
    failed: list[str] = []

    def run(a: tuple[Any, ...]) -> None:
        try:
            work(*a)
        except BaseException:
            failed.append(traceback.format_exc())

    threads = [threading.Thread(target=run, args=(a,)) for a in args]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not failed, failed[0]


def pick(calls: list[str], rng: random.Random) -> tuple[int, str]:
    """A git call to die at, and how. A worker's calls are its take's, heartbeats' and
    done's (each ending with its push): one of those three moves first, as likely each.
    Then in the move, its push half the time, its fetch a quarter, a local read else."""
    moves: list[list[int]] = [[]]
    for n, call in enumerate(calls, 1):
        moves[-1].append(n)
        if verb(call) == "push" and n < len(calls):
            moves.append([])
    move = rng.choice([moves[0], *([rng.choice(moves[1:-1])] if moves[1:-1] else []), moves[-1]])
    pushes = [n for n in move if verb(calls[n - 1]) == "push"]
    fetches = [n for n in move if verb(calls[n - 1]) == "fetch"]
    others = [n for n in move if n not in pushes + fetches]
    roll = rng.random()
    group = (pushes if roll < 0.5 else fetches if roll < 0.75 else others) or move
    # a local read cut or killed during it is one killed before or after it
    return rng.choice(group), rng.choice(MODES if group is not others else ("before", "after"))


def by_call(calls: Counter[str]) -> str:
    """'push 50 (before 12, during 13, ...), fetch ...' from counts of 'push before' etc."""
    parts = []
    for what in ("push", "fetch", "local"):
        modes = {m: calls[f"{what} {m}"] for m in MODES if calls[f"{what} {m}"]}
        said = ", ".join(f"{m} {n}" for m, n in modes.items())
        parts.append(f"{what} {sum(modes.values())} ({said})")
    return ", ".join(parts)


def verb(call: str) -> str:
    """The git command of a call's arguments (after any `-c KEY=VALUE`)."""
    words = call.split()
    while words and words[0] == "-c":
        words = words[2:]
    return words[0] if words else "?"


def phase(op: str, victim: Victim) -> str:
    """Which move the kill cut: the op's own, or for a worker its take (the first push),
    a heartbeat, or its done (after its command finished)."""
    if op != "worker":
        return op
    pushes_before = sum(verb(c) == "push" for c in victim.calls()[: victim.hit() - 1])
    if pushes_before == 0:
        return "worker take"
    return "worker done" if victim.hit_after_cmd() else "worker heartbeat"


@pytest.fixture
def kills(make_agent: Callable[[str], Agent], served_repo: Path, tmp_path: Path) -> Iterator[Kills]:
    names = ["lead", *(f"racer-{i}" for i in range(AGENTS))]
    lead, *agents = team(make_agent, names, POLICY)
    run = Kills(agents, lead, served_repo, tmp_path / "kill")
    try:
        yield run
    finally:
        run.close()


def test_workers_killed_at_random_points_lose_no_task_and_complete_none_twice(
    kills: Kills,
) -> None:
    started = time.monotonic()
    kills.calibrate()
    for round_no in range(ROUNDS):
        kills.round(round_no)
    kills.finish()
    kills.check_all_done_once()
    t = kills.tally
    print(
        f"\nTASK KILL TRIALS: {sum(t.trials.values())} trials {dict(t.trials)} in "
        f"{time.monotonic() - started:.0f}s ({ROUNDS} rounds, {AGENTS} agents at once); "
        f"SIGKILL at a git call {sum(t.points.values())} times, in {dict(t.points)}, at "
        f"{by_call(t.calls)}; after a random delay {t.timed}; completed "
        f"before the kill {t.completed_first}; left {dict(sorted(t.left.items()))}; reaped "
        f"back to pending {t.reaped}, late owners refused {t.late_refused}; the survivors "
        f"completed {t.survivor_done}; {len(kills.ids)} tasks, each done exactly once: "
        f"{'yes' if not t.problems else 'NO'}; files a kill left that gitcoord named and we "
        f"removed as it said {dict(t.removed)}"
    )
    assert t.problems == [], "\n".join(t.problems[:20])
    assert sum(t.trials.values()) == AGENTS * ROUNDS * PER_ROUND >= 100
