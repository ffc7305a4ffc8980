"""A task kind's schema whose $ref resolves nowhere (another file, a URL, a pointer to
nothing) is the policy's mistake, named as such (exit 2), never an internal error; a worker
fails the task with it instead of crashing and leaving the task running. Real CLI, real
remote (found by the new-user trial)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.gitenv import Agent
from tests.taskenv import server_tasks, share_policy

pytestmark = pytest.mark.transports("file")

POLICY = """
[tasks.kinds.other-file]
input = "schemas/other-file.json"
[tasks.kinds.url]
input = "schemas/url.json"
[tasks.kinds.nowhere]
result = "schemas/nowhere.json"
"""
SCHEMAS = {
    "schemas/other-file.json": {"$ref": "nowhere.json"},
    "schemas/url.json": {"$ref": "http://example.invalid/x.json"},
    "schemas/nowhere.json": {"$ref": "#/definitions/nope"},
}


def test_unresolvable_refs_are_named_not_crashed_on(alice: Agent, served_repo: Path) -> None:
    files = {path: json.dumps(schema) for path, schema in SCHEMAS.items()}
    share_policy(POLICY, alice, files=files)
    for kind in ("other-file", "url"):
        res = alice.gitcoord("task", "add", "x", "--kind", kind, "--input", "{}")
        assert res.rc == 2, res.err
        assert f"schemas/{kind}.json (the input schema of task kind '{kind}') cannot be" in res.err
        assert "$ref" in res.err
    assert alice.gitcoord("task", "add", "y", "--id", "y", "--kind", "nowhere").rc == 0
    assert alice.gitcoord("task", "take", "y").rc == 0
    done = alice.gitcoord("task", "done", "y", "--result", "{}")
    assert done.rc == 2 and "cannot be applied" in done.err
    assert alice.gitcoord("task", "release", "y").rc == 0
    worker = alice.gitcoord("worker", "run", "--once", "--", "true", timeout=60)
    assert worker.rc == 1, worker.err
    (task,) = server_tasks(served_repo).values()
    assert task.state == "failed" and "cannot be applied" in task.reason
