"""A task's --paths are claimed by the take, in the same atomic push (issue 15): both land or
neither, read from the server's refs. The real `gitcoord` CLI in real clones; the one race
a pre-check cannot see is staged with a git wrapper that holds the take's push."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.gitenv import Agent, Result
from tests.gitwrap import GitWrap
from tests.remote_state import remote_claims
from tests.taskenv import server_history, server_tasks

pytestmark = pytest.mark.transports("file")


def _ok(res: Result) -> Any:
    assert res.rc == 0, res.err
    return res.json()


def _take(agent: Agent) -> subprocess.Popen[str]:
    """`gitcoord task take --json` started in the agent's clone, not waited for."""
    return agent.spawn("gitcoord", "task", "take", "--json")


def _claims(repo: Path) -> dict[str, str]:
    """Claim ref -> the agent holding it, on the server."""
    return {c.ref: c.agent for c in remote_claims(repo)}


def _claimed(repo: Path, agent: str) -> list[str]:
    return sorted(ref for ref, who in _claims(repo).items() if who == agent)


def _state(repo: Path, task_id: str) -> str:
    return next(t.state for t in server_tasks(repo).values() if t.id == task_id)


def test_take_claims_the_paths_heartbeat_renews_and_done_releases(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    _ok(alice.gitcoord("task", "add", "api", "--id", "api", "--paths", "src/api.py", "--json"))
    assert _claims(served_repo) == {}  # adding claims nothing
    took = _ok(bob.gitcoord("task", "take", "--ttl", "10m", "--json"))["task"]
    assert took["id"] == "api" and took["paths"] == ["src/api.py"]
    assert len(_claimed(served_repo, "bob")) == 1 and _state(served_repo, "api") == "running"
    (mine,) = remote_claims(served_repo)
    assert mine.agent == "bob" and str(mine.path) == "src/api.py" and not mine.provisional
    # Another agent cannot claim the path while the task runs.
    refused = alice.claim("src/api.py")
    assert refused.rc == 1 and "bob" in refused.err
    time.sleep(1.1)  # claim times are whole seconds
    assert bob.gitcoord("task", "heartbeat", "api", "--ttl", "20m").rc == 0
    (renewed,) = remote_claims(served_repo)
    assert renewed.lease_end > mine.lease_end + 500  # 20 minutes from now, not 10
    _ok(bob.gitcoord("task", "done", "api", "--json"))
    assert _claims(served_repo) == {} and _state(served_repo, "api") == "done"
    assert alice.claim("src/api.py").rc == 0


def test_take_skips_a_task_whose_paths_someone_holds(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    _ok(alice.gitcoord("task", "add", "first", "--id", "one", "--priority", "5",
                       "--paths", "src/a.py", "--json"))  # fmt: skip
    _ok(alice.gitcoord("task", "add", "second", "--id", "two", "--paths", "src/b.py", "--json"))
    assert alice.claim("src/").rc == 0  # a directory above both paths
    none = bob.gitcoord("task", "take", "--json")
    assert none.rc == 1 and none.json() == {"task": None}
    assert "waits for src/, claimed by alice" in none.err
    assert _claimed(served_repo, "bob") == []
    assert {t.state for t in server_tasks(served_repo).values()} == {"pending"}
    assert alice.claim("-d", "src/").rc == 0
    took = _ok(bob.gitcoord("task", "take", "--json"))["task"]
    assert took["id"] == "one" and len(_claimed(served_repo, "bob")) == 1


def test_a_claim_landing_between_the_check_and_the_push_undoes_the_take(
    alice: Agent, bob: Agent, served_repo: Path, tmp_path: Path
) -> None:
    """Bob's claim on the directory lands while Alice's take is on its way: her push lands
    the running task and the claim together, the read after it shows Bob's claim, so both
    are taken back: the task is pending again with no attempt counted, no claim of hers."""
    _ok(alice.gitcoord("task", "add", "api", "--id", "api", "--paths", "src/api.py", "--json"))
    wrap = GitWrap(alice, tmp_path / "wrap")
    wrap.arm(gate="1")
    proc = _take(alice)
    try:
        wrap.wait_for("at-push-1", proc)
        assert bob.claim("src/").rc == 0
        (wrap.state / "go-1").touch()
        out, err = proc.communicate(timeout=60)
    finally:
        wrap.close()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, err
    assert json.loads(out) == {"task": None} and "claimed by bob" in err
    assert _claimed(served_repo, "alice") == []
    (task,) = server_tasks(served_repo).values()
    assert task.state == "pending" and task.attempts == 0
    history = server_history(served_repo, task.oid)
    assert [v.state for v in history] == ["pending", "running", "pending"]
    assert history[1].owner is not None and history[1].owner.agent == "alice"
    assert "not taken" in task.reason


def test_racing_takers_of_a_task_with_paths_one_holds_both(
    make_agent: Any, alice: Agent, served_repo: Path
) -> None:
    takers = [make_agent(f"t{i}") for i in range(4)]
    _ok(alice.gitcoord("task", "add", "api", "--id", "api", "--paths", "src/", "--json"))
    procs = [_take(t) for t in takers]
    results = [p.communicate(timeout=120) for p in procs]
    won = [t.name for t, p in zip(takers, procs, strict=True) if p.returncode == 0]
    assert len(won) == 1, results
    assert sorted(p.returncode for p in procs) == [0, 1, 1, 1], results
    (task,) = server_tasks(served_repo).values()
    assert task.state == "running" and task.owner is not None and task.owner.agent == won[0]
    assert set(_claims(served_repo).values()) == {won[0]}


def test_done_stands_when_its_claims_were_broken_meanwhile(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    _ok(alice.gitcoord("task", "add", "api", "--id", "api", "--paths", "src/api.py", "--json"))
    _ok(alice.gitcoord("task", "take", "--json"))
    assert bob.claim("--break", "src/api.py", "-r", "urgent hotfix").rc == 0
    done = alice.gitcoord("task", "done", "api")
    assert done.rc == 0, done.err
    assert _state(served_repo, "api") == "done"
    assert "task api's claims on its --paths were not released" in done.err
    assert "urgent hotfix" in done.err  # who broke it, from the audit trail
