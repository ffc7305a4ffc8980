"""A session is part of who holds a task (issue 15): the same agent's other session may not
move it, and the refusal says how to act as the session that holds it. Real CLI, real remote."""

from __future__ import annotations

import pytest

from tests.gitenv import Agent

pytestmark = pytest.mark.transports("file")


def test_my_other_session_is_told_how_to_act_as_the_holder(alice: Agent) -> None:
    assert alice.gitcoord("task", "add", "port", "--id", "port").rc == 0
    alice.extra["GITCOORD_SESSION"] = "laptop"
    assert alice.gitcoord("task", "take", "port").rc == 0
    alice.extra["GITCOORD_SESSION"] = "desktop"
    refused = alice.gitcoord("task", "done", "port")
    assert refused.rc == 1
    assert "task port is running for your other session laptop" in refused.err
    assert "GITCOORD_SESSION=laptop gitcoord task done port" in refused.err
    alice.extra["GITCOORD_SESSION"] = "laptop"
    assert alice.gitcoord("task", "done", "port").rc == 0


def test_a_pending_task_is_cancelled_by_anyone_a_running_one_is_not(
    alice: Agent, bob: Agent
) -> None:
    for task_id in ("dup", "busy"):
        assert alice.gitcoord("task", "add", task_id, "--id", task_id).rc == 0
    assert alice.gitcoord("task", "add", "then", "--id", "then", "--after", "dup").rc == 0
    cancelled = bob.gitcoord("task", "cancel", "dup", "-r", "a duplicate", "--json")
    assert cancelled.rc == 0, cancelled.err
    task = cancelled.json()["task"]
    assert (task["state"], task["reason"]) == ("failed", "cancelled by bob: a duplicate")
    assert alice.gitcoord("task", "take", "busy").rc == 0
    running = bob.gitcoord("task", "cancel", "busy", "-r", "x")
    assert running.rc == 1 and "only a pending task can be cancelled" in running.err
    assert bob.gitcoord("task", "cancel", "then").rc == 2  # no reason given
    stuck = bob.gitcoord("task", "take", "then")
    assert stuck.rc == 1 and "comes after dup, which failed" in stuck.err
