"""Server hooks on the task queue's refs: refs/tasks/* and refs/task-slots/* a client pushes
by hand past `gitcoord task` (git push of forged objects, the way any client can) are refused
naming the ref and the reason, a pool never gets more slot refs than the server's policy
gives it, and every honest move (add, take into a slot, heartbeat, release, fail, reap, done,
a worker draining a pool) passes the hooks. Ground truth is the served repository's refs."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gitcoord.core.task import Owner, Task, new_nonce
from gitcoord.core.task_moves import taken
from gitcoord.core.timeutil import from_iso
from tests.gitenv import Agent, Result
from tests.servers import BaseServer
from tests.servers.fixtures import ServerPool
from tests.serverside import gitcoord_server
from tests.taskenv import server_refs, server_tasks, share_policy
from tests.test_hostile import _blob
from tests.test_hostile_objects import _commit
from tests.test_server_gitolite import _agent, hooked_repo

pytestmark = pytest.mark.transports("file")

POLICY = "[pools.gpu]\nslots = 2\n"
SLOTS = "refs/task-slots/"


@pytest.fixture
def served(alice: Agent, served_repo: Path, env: dict[str, str]) -> Path:
    """The served repository with the server hooks, and a 2-slot pool gpu on main."""
    assert gitcoord_server(env, "install", str(served_repo)).rc == 0
    share_policy(POLICY, alice)
    return served_repo


def _ok(res: Result) -> Any:
    assert res.rc == 0, res.err
    return res.json()


def _cli_task(agent: Agent, *args: str) -> dict[str, Any]:
    task: dict[str, Any] = _ok(agent.gitcoord("task", *args, "--json"))["task"]
    return task


def _push(agent: Agent, *refspecs: str) -> Result:
    """A raw atomic push, as any git client can make it (no gitcoord, no client hooks)."""
    return agent.run("git", "push", "--no-verify", "--atomic", "origin", *refspecs)


def _refused(res: Result, ref: str, reason: str) -> None:
    assert res.rc != 0, res.err
    assert f"gitcoord: refused {ref}: " in res.err, res.err
    assert reason in res.err, res.err
    assert "Traceback" not in res.err and "internal error" not in res.err


def _version(task_id: str, state: str = "pending", pool: str | None = None) -> Task:
    """A well-formed version of a task, as an honest client would write it."""
    at = time.time()
    task = Task(id=task_id, title=f"do {task_id}", pool=pool, created_at=at, nonce=new_nonce())
    if state == "running":
        return taken(task, Owner("alice", "s-alice", "test"), at, 3600)
    return task.version(state=state)


def _write(agent: Agent, task: Task, parent: str | None = None) -> str:
    return _commit(agent, task.message(), parent=parent)


def _take_by_hand(agent: Agent, pending: dict[str, Any], slot: str) -> tuple[Result, str]:
    """The push a take makes, built by hand: the pending ref deleted, the running version
    created, and the slot ref `slot` pointing at it."""
    task = _version(pending["id"], "running", pending["pool"])
    oid = _write(agent, task, pending["oid"])
    running = f"refs/tasks/running/{pending['id']}"
    return _push(agent, f":{pending['ref']}", f"{oid}:{running}", f"{oid}:{slot}"), oid


# -- task refs --------------------------------------------------------------------------------


def test_a_task_ref_in_an_unknown_state_directory_is_refused(alice: Agent, served: Path) -> None:
    oid = _write(alice, _version("x"))
    _refused(
        _push(alice, f"{oid}:refs/tasks/bogus/x"),
        "refs/tasks/bogus/x",
        "not a valid task: 'bogus' is not a task state (pending, running, done, failed)",
    )
    assert server_refs(served, "refs/tasks/") == {}


def test_a_task_ref_whose_name_is_no_task_id_is_refused(alice: Agent, served: Path) -> None:
    oid = _write(alice, _version("x"))
    upper = _push(alice, f"{oid}:refs/tasks/pending/Bad.ID")
    _refused(upper, "refs/tasks/pending/Bad.ID", "'Bad.ID' is not a task id: must be 1 to 64")
    deep = _push(alice, f"{oid}:refs/tasks/pending/x/y")
    _refused(deep, "refs/tasks/pending/x/y", "not refs/tasks/<state>/<id>")
    assert server_refs(served, "refs/tasks/") == {}


def test_a_task_ref_to_a_non_commit_is_refused(alice: Agent, served: Path) -> None:
    res = _push(alice, f"{_blob(alice, 'not a task')}:refs/tasks/pending/x")
    _refused(res, "refs/tasks/pending/x", "not a valid task: points to a blob, not a commit")
    assert server_refs(served, "refs/tasks/") == {}


def test_an_oversized_task_is_refused(alice: Agent, served: Path) -> None:
    huge = _version("x")._replace(body="x" * 70_000)
    res = _push(alice, f"{_write(alice, huge)}:refs/tasks/pending/x")
    _refused(res, "refs/tasks/pending/x", "bytes, over the limit of 65536")
    assert server_refs(served, "refs/tasks/") == {}


def test_an_unparseable_task_is_refused(alice: Agent, served: Path) -> None:
    garbage = _push(alice, _commit(alice, "task\n\n{not json") + ":refs/tasks/pending/x")
    _refused(garbage, "refs/tasks/pending/x", "not a valid task: task body is not JSON")
    fields = _version("y").stored_json() | {"priority": "high"}
    text = "task pending y\n\n" + json.dumps(fields)
    mistyped = _push(alice, f"{_commit(alice, text)}:refs/tasks/pending/y")
    _refused(mistyped, "refs/tasks/pending/y", "field 'priority' is not a whole number")
    assert server_refs(served, "refs/tasks/") == {}


def test_a_task_at_another_state_or_id_than_its_own_is_refused(alice: Agent, served: Path) -> None:
    running = _write(alice, _version("x", "running"))
    res = _push(alice, f"{running}:refs/tasks/pending/x")
    _refused(
        res,
        "refs/tasks/pending/x",
        "task x (running) sits at the wrong ref (it belongs at refs/tasks/running/x)",
    )
    other = _push(alice, f"{_write(alice, _version('x'))}:refs/tasks/pending/y")
    _refused(other, "refs/tasks/pending/y", "task x (pending) sits at the wrong ref")
    assert server_refs(served, "refs/tasks/") == {}


def test_deleting_task_and_slot_refs_is_always_allowed(alice: Agent, served: Path) -> None:
    _cli_task(alice, "add", "a", "--id", "a", "--pool", "gpu")
    _cli_task(alice, "add", "b", "--id", "b")
    took = _cli_task(alice, "take", "--pool", "gpu")
    slot = f"{SLOTS}gpu/{_slot_of(served, took)}"
    res = _push(alice, ":refs/tasks/pending/b", f":{slot}", ":refs/tasks/running/a")
    assert res.rc == 0, res.err
    assert list(server_refs(served, "refs/")) == ["refs/heads/main"]


def _slot_of(repo: Path, task: dict[str, Any]) -> int:
    (ref,) = [r for r, oid in server_refs(repo, SLOTS).items() if oid == task["oid"]]
    return int(ref.rsplit("/", 1)[1])


# -- slot refs --------------------------------------------------------------------------------


def test_a_slot_numbered_beyond_the_pools_slots_is_refused(alice: Agent, served: Path) -> None:
    pending = _cli_task(alice, "add", "a", "--id", "a", "--pool", "gpu")
    res, _ = _take_by_hand(alice, pending, SLOTS + "gpu/2")
    _refused(
        res,
        SLOTS + "gpu/2",
        "slot 2 is beyond pool gpu's 2 slots (0 to 1, [pools.gpu] in gitcoord.toml on the "
        "default branch)",
    )
    assert server_refs(served, SLOTS) == {}
    assert list(server_refs(served, "refs/tasks/")) == ["refs/tasks/pending/a"]  # all or nothing


def test_a_slot_of_an_undeclared_pool_is_refused(alice: Agent, served: Path) -> None:
    # The pending task of pool cpu is a valid task (a pool is a name in it); its slot is not.
    oid = _write(alice, _version("c", pool="cpu"))
    assert _push(alice, f"{oid}:refs/tasks/pending/c").rc == 0
    pending = {"id": "c", "pool": "cpu", "oid": oid, "ref": "refs/tasks/pending/c"}
    res, _ = _take_by_hand(alice, pending, SLOTS + "cpu/0")
    _refused(res, SLOTS + "cpu/0", "pool cpu is not declared in gitcoord.toml on the default")
    assert "[pools.cpu] slots = 2" in res.err
    assert server_refs(served, SLOTS) == {}


def test_a_slot_that_holds_no_running_task_of_its_pool_is_refused(
    alice: Agent, served: Path
) -> None:
    pending = _cli_task(alice, "add", "a", "--id", "a", "--pool", "gpu")
    at_pending = _push(alice, f"{pending['oid']}:{SLOTS}gpu/0")
    _refused(
        at_pending,
        SLOTS + "gpu/0",
        "not a valid pool slot: points to a pending task of pool gpu, not a running task of "
        "pool gpu",
    )
    poolless = _write(alice, _version("p", "running"))
    other = _push(alice, f"{poolless}:refs/tasks/running/p", f"{poolless}:{SLOTS}gpu/0")
    _refused(other, SLOTS + "gpu/0", "points to a running task of no pool")
    blob = _push(alice, f"{_blob(alice, 'slot')}:{SLOTS}gpu/0")
    _refused(blob, SLOTS + "gpu/0", "not a valid pool slot: points to a blob")
    junk = _push(alice, _commit(alice, "slot\n\n{}") + f":{SLOTS}gpu/0")
    _refused(junk, SLOTS + "gpu/0", "not a valid pool slot: ")
    assert server_refs(served, SLOTS) == {}


def test_a_slot_at_a_running_version_its_running_ref_does_not_hold_is_refused(
    alice: Agent, served: Path
) -> None:
    _cli_task(alice, "add", "a", "--id", "a", "--pool", "gpu")
    took = _cli_task(alice, "take", "--pool", "gpu")
    beat = _cli_task(alice, "heartbeat", "a")  # the running ref and its slot move on
    free = f"{SLOTS}gpu/{1 - _slot_of(served, beat)}"
    stale = _push(alice, f"{took['oid']}:{free}")
    _refused(
        stale,
        free,
        f"it points to {took['oid'][:12]}, not to task a's running version "
        f"(refs/tasks/running/a holds {beat['oid'][:12]} after this push)",
    )
    # A running version with no running ref at all: a slot held by nothing that runs.
    ghost = _write(alice, _version("g", "running", "gpu"))
    res = _push(alice, f"{ghost}:{free}")
    _refused(res, free, "(refs/tasks/running/g does not exist after this push)")
    assert list(server_refs(served, SLOTS).values()) == [beat["oid"]]


def test_a_slot_ref_with_a_malformed_name_is_refused(alice: Agent, served: Path) -> None:
    pending = _cli_task(alice, "add", "a", "--id", "a", "--pool", "gpu")
    for name in ("gpu/01", "gpu/x", "gpu/0/1", "GPU/0"):
        res, _ = _take_by_hand(alice, pending, SLOTS + name)
        _refused(res, SLOTS + name, "not a valid pool slot: not refs/task-slots/<pool>/<n>")
    assert server_refs(served, SLOTS) == {}


def test_a_pool_never_gets_more_slot_refs_than_its_slots(
    alice: Agent, bob: Agent, served: Path
) -> None:
    """Slots beyond the bound can only be left from before it shrank; while they are held,
    a push creating another slot that would exceed the bound is refused."""
    share_policy("[pools.gpu]\nslots = 3\n", alice, bob)
    for n in range(4):
        _cli_task(alice, "add", f"t{n}", "--id", f"t{n}", "--pool", "gpu")
    held: dict[int, dict[str, Any]] = {}
    for _ in range(3):
        took = _cli_task(alice, "take", "--pool", "gpu")
        held[_slot_of(served, took)] = took
    assert sorted(held) == [0, 1, 2]
    share_policy(POLICY, alice, bob)  # the pool shrinks to 2 while 3 run
    # A running task keeps its slot beyond the bound: its heartbeat moves it along.
    beat = _cli_task(alice, "heartbeat", held[2]["id"])
    assert server_refs(served, SLOTS)[SLOTS + "gpu/2"] == beat["oid"]
    _cli_task(alice, "done", held[0]["id"])  # slot 0 is free, slots 1 and 2 are held
    pending = server_tasks(served)["refs/tasks/pending/t3"]
    as_dict = {"id": "t3", "pool": "gpu", "oid": pending.oid, "ref": pending.ref}
    res, _ = _take_by_hand(alice, as_dict, SLOTS + "gpu/0")
    _refused(
        res,
        SLOTS + "gpu/0",
        "pool gpu would hold 3 slot refs, over its 2 slots ([pools.gpu] in gitcoord.toml",
    )
    assert len(server_refs(served, SLOTS)) == 2
    full = bob.gitcoord("task", "take", "--pool", "gpu")  # the client agrees: the pool is full
    assert full.rc == 1 and "all 2 slots are held" in full.err


# -- honest moves -----------------------------------------------------------------------------


def test_every_honest_move_of_a_pool_task_passes_the_hooks(alice: Agent, served: Path) -> None:
    share_policy(POLICY + '[claims]\nclock_skew = "0s"\n[tasks]\nmax_attempts = 5\n', alice)
    _cli_task(alice, "add", "a", "--id", "a", "--pool", "gpu")
    took = _cli_task(alice, "take", "--pool", "gpu")
    assert list(server_refs(served, SLOTS).values()) == [took["oid"]]
    beat = _cli_task(alice, "heartbeat", "a")
    assert list(server_refs(served, SLOTS).values()) == [beat["oid"]]  # moved along
    assert _cli_task(alice, "release", "a")["state"] == "pending"
    assert server_refs(served, SLOTS) == {}
    _cli_task(alice, "take", "--pool", "gpu")
    assert _cli_task(alice, "fail", "a", "-r", "flaky", "--retry")["state"] == "pending"
    assert server_refs(served, SLOTS) == {}
    short = _cli_task(alice, "take", "--pool", "gpu", "--ttl", "1s")
    time.sleep(max(0.0, from_iso(short["expires_at"]) - time.time() + 0.05))
    reaped = _ok(alice.gitcoord("task", "reap", "--json"))["reaped"]
    assert [t["id"] for t in reaped] == [short["id"]] and server_refs(served, SLOTS) == {}
    _cli_task(alice, "take", "--pool", "gpu")
    assert _cli_task(alice, "done", "a")["state"] == "done"
    assert server_refs(served, SLOTS) == {}
    assert {t.id: t.state for t in server_tasks(served).values()} == {"a": "done"}


def test_workers_drain_a_pool_through_the_hooks(
    alice: Agent, bob: Agent, served: Path, tmp_path: Path
) -> None:
    """Three workers on a 2-slot pool, each task's command outliving one heartbeat."""
    ids = [f"job-{n}" for n in range(6)]
    for task_id in ids:
        _cli_task(alice, "add", task_id, "--id", task_id, "--pool", "gpu")
    done_log = tmp_path / "ran.txt"
    script = f'sleep 1.3; echo "$GITCOORD_TASK_ID" >> {done_log}'
    workers = [
        subprocess.Popen(
            ["gitcoord", "worker", "run", "--pool", "gpu", "--ttl", "3s", "--", "sh", "-c", script],
            cwd=agent.path,
            env=agent.environ(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for agent in (alice, bob, alice)
    ]
    most = 0
    try:
        deadline = time.monotonic() + 120
        while {t.state for t in server_tasks(served).values()} != {"done"}:
            assert time.monotonic() < deadline, "the workers did not drain the pool"
            most = max(most, len(server_refs(served, SLOTS)))
            time.sleep(0.1)
    finally:
        for w in workers:
            w.terminate()
        errors = [w.communicate(timeout=60)[1] for w in workers]
    assert "refused" not in "".join(errors), errors
    assert sorted(done_log.read_text().split()) == ids  # each run once
    tasks = server_tasks(served)
    assert sorted(t.id for t in tasks.values()) == ids and server_refs(served, SLOTS) == {}
    assert 1 <= most <= 2


# -- gitolite ---------------------------------------------------------------------------------


@pytest.fixture
def gitolite(server_pool: ServerPool) -> Iterator[BaseServer]:
    with server_pool.scoped("gitolite", ["alice", "bob", "lead"]) as srv:
        yield srv


def test_task_refs_pass_through_gitolite_and_its_hooks(
    gitolite: BaseServer, tmp_path: Path
) -> None:
    url = hooked_repo(gitolite, tmp_path)
    alice, bob = (_agent(gitolite, n, url, tmp_path) for n in ("alice", "bob"))
    for agent in (alice, bob):
        agent.git("config", "user.email", f"{agent.name}@example.com")
        agent.git("config", "user.name", agent.name)
    alice.commit_file("gitcoord.toml", POLICY, "policy")
    alice.git("push", "-q", "--no-verify", "origin", "HEAD:main")
    bob.git("pull", "-q", "origin", "main")

    _cli_task(alice, "add", "a", "--id", "a", "--pool", "gpu")
    took = _cli_task(bob, "take", "--pool", "gpu")
    assert took["owner"]["agent"] == "bob"
    assert _cli_task(bob, "heartbeat", "a")["state"] == "running"
    assert _cli_task(bob, "done", "a")["state"] == "done"
    forged = _push(alice, f"{_blob(alice, 'junk')}:refs/tasks/pending/junk")
    _refused(forged, "refs/tasks/pending/junk", "points to a blob, not a commit")
    listed = _ok(alice.gitcoord("task", "list", "--json"))
    assert [(t["id"], t["state"]) for t in listed["tasks"]] == [("a", "done")]
    assert listed["invalid"] == []
