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
