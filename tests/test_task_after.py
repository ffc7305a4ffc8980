"""A task that comes after a failed one can never be taken (issue 15): `take` says so, and
`take ID --wait` stops waiting for it instead of polling forever. Real CLI, real remote."""

from __future__ import annotations

import pytest

from gitcoord.core.task import Task
from gitcoord.core.task_moves import never_ready
from tests.gitenv import Agent

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
