"""A task that comes after a failed one can never be taken (issue 15): `take` says so, and
`take ID --wait` stops waiting for it instead of polling forever. Real CLI, real remote."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from gitcoord.core.task import Task
from gitcoord.core.task_moves import never_ready
from gitcoord.git.objects import CommitBatch
from gitcoord.tasks.queue import SPREAD, spread
from tests.gitenv import Agent
from tests.taskenv import server_history, server_tasks, share_policy

pytestmark = pytest.mark.transports("file")


def test_a_task_after_a_failed_one_is_never_waited_for(alice: Agent, bob: Agent) -> None:
    for args in (("build", "--id", "build"), ("ship", "--id", "ship", "--after", "build")):
        assert alice.gitcoord("task", "add", *args).rc == 0
    assert bob.gitcoord("task", "take", "build").rc == 0
    assert bob.gitcoord("task", "fail", "build", "-r", "compiler crashed").rc == 0

    named = bob.gitcoord("task", "take", "ship", "--wait=1h", "--json", timeout=60)
    assert named.rc == 1 and named.json() == {"task": None}
    assert "task ship can never be taken: it comes after build, which failed" in named.err
    anyone = bob.gitcoord("task", "take")
    assert anyone.rc == 1
    assert "the pending task without a pool waits for its --after tasks" in anyone.err
    assert "it never can be taken: a task it comes after failed" in anyone.err


def test_never_ready_follows_chains_to_the_failed_task() -> None:
    def task(tid: str, state: str, *after: str) -> Task:
        return Task(id=tid, title=tid, state=state, after=after)

    tasks = [
        task("a", "failed"),
        task("b", "pending", "a"),
        task("c", "pending", "ok", "b"),
        task("d", "pending", "ok"),
        task("ok", "done"),
        task("e", "pending", "gone"),
    ]
    assert never_ready(tasks) == {"b": "a", "c": "a", "e": "gone"}


def test_show_says_when_older_versions_are_not_shown(alice: Agent) -> None:
    """A worker heartbeating often makes a long chain: `task show` reads the last 1,000
    versions and says that older ones exist (found by the new-user trial)."""
    batch, parent = CommitBatch(), None
    task = Task(id="long", title="long", created_at=1.0e9, nonce="n")
    for n in range(1002):
        parent = batch.add(task._replace(priority=n % 7).message(), parent)
    batch.write(alice.path / ".git")
    alice.git("push", "-q", "origin", f"{parent}:refs/tasks/pending/long")
    shown = alice.gitcoord("task", "show", "long", "--json")
    assert shown.rc == 0, shown.err
    assert shown.json()["history_cut"] is True and len(shown.json()["history"]) == 1000
    assert shown.json()["history"][-1]["oid"] == parent
    human = alice.gitcoord("task", "show", "long")
    assert "(older versions not shown: the last 1000 are read)" in human.out
    short = alice.gitcoord("task", "add", "short", "--id", "short")
    assert (
        short.rc == 0
        and alice.gitcoord("task", "show", "short", "--json").json()["history_cut"] is False
    )


def test_a_take_reaps_expired_leases_before_saying_none_is_ready(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    """A queue heals itself: nobody has to remember `task reap` (new-user trial)."""
    share_policy('[claims]\nclock_skew = "0s"\n', alice, bob)
    assert alice.gitcoord("task", "add", "job", "--id", "job").rc == 0
    assert alice.gitcoord("task", "take", "--ttl", "1s").rc == 0
    time.sleep(1.5)
    took = bob.gitcoord("task", "take", "--json")
    assert took.rc == 0, took.err
    assert "note: reaped task job: lease expired while running for alice" in took.err
    assert took.json()["task"]["owner"]["agent"] == "bob" and took.json()["task"]["attempts"] == 1
    (task,) = server_tasks(served_repo).values()
    assert [v.state for v in server_history(served_repo, task.oid)] == [
        "pending", "running", "pending", "running",
    ]  # fmt: skip


def test_spread_keeps_the_best_first_and_priorities_in_order() -> None:
    ready = [Task(id=f"h{n}", title="t", priority=5) for n in range(3)]
    ready += [Task(id=f"l{n}", title="t", priority=1) for n in range(30)]
    for _ in range(20):
        order = [t.id for t in spread(ready)]
        assert order[0] == "h0" and set(order[1:3]) == {"h1", "h2"}
        assert sorted(order) == sorted(t.id for t in ready)
    lows = ready[3:]
    orders = {tuple(t.id for t in spread(lows)[1:SPREAD]) for _ in range(20)}
    assert len(orders) > 1  # losers do not all try the same second task
    assert all(spread(lows)[SPREAD + 1 :] == lows[SPREAD + 1 :] for _ in range(5))
