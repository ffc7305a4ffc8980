"""A task and its --paths' claims stay together when things go wrong (new-user trial, issue
15): an interrupt while a take's push is on its way leaves neither; a heartbeat whose claim
was broken extends nothing; a worker whose claim was broken gives the task back; a worker
whose terminal closed (SIGHUP) releases its task. Real CLI, real bare remote; the server's
refs are the ground truth."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.gitenv import Agent
from tests.gitwrap import GitWrap
from tests.remote_state import remote_claims
from tests.taskenv import server_tasks
from tests.test_worker import LOOP, start_worker, wait_for

pytestmark = pytest.mark.transports("file")


def _only_task(repo: Path) -> tuple[str, int, float | None]:
    (task,) = server_tasks(repo).values()
    return task.state, task.attempts, task.expires_at


def test_an_interrupt_during_the_takes_push_leaves_neither_task_nor_claim(
    alice: Agent, served_repo: Path, tmp_path: Path
) -> None:
    assert alice.gitcoord("task", "add", "api", "--id", "api", "--paths", "src/api.py").rc == 0
    wrap = GitWrap(alice, tmp_path / "wrap")
    wrap.arm(gate="1")
    proc = alice.spawn("gitcoord", "task", "take", "api")
    try:
        wrap.wait_for("at-push-1", proc)
        proc.send_signal(signal.SIGINT)  # while the take's push waits at the gate
        (wrap.state / "go-1").touch()
        err = proc.communicate(timeout=60)[1]
    finally:
        wrap.close()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert remote_claims(served_repo) == []
    assert _only_task(served_repo)[:2] == ("pending", 0)


def test_a_worker_stopped_with_its_process_group_during_a_take_exits(
    alice: Agent, served_repo: Path, tmp_path: Path
) -> None:
    """SIGTERM to the worker's process group kills the take's git push as well; the push's
    failure must not swallow the held SIGTERM (the worker retried for ever, in the bench)."""
    assert alice.gitcoord("task", "add", "plain", "--id", "plain").rc == 0
    wrap = GitWrap(alice, tmp_path / "wrap")
    wrap.arm(gate="1", tasks=True)
    proc = subprocess.Popen(
        ["gitcoord", "worker", "run", "--", "true"],
        cwd=alice.path,
        env=alice.environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        wrap.wait_for("at-push-1", proc)
        os.killpg(proc.pid, signal.SIGTERM)  # the worker and the push it waits for
        err = proc.communicate(timeout=60)[1]
    finally:
        wrap.close()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err
    assert "retrying" not in err, err
    assert _only_task(served_repo)[0] == "pending"


def test_a_heartbeat_whose_claim_was_broken_extends_nothing(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    assert alice.gitcoord("task", "add", "api", "--id", "api", "--paths", "src/api.py").rc == 0
    assert alice.gitcoord("task", "take", "--ttl", "10m").rc == 0
    before = _only_task(served_repo)
    assert bob.claim("--break", "src/api.py", "-r", "hotfix").rc == 0
    beat = alice.gitcoord("task", "heartbeat", "api", "--ttl", "20m")
    assert beat.rc == 1 and "hotfix" in beat.err
    assert _only_task(served_repo) == before


def test_a_worker_whose_claim_was_broken_gives_the_task_back(
    alice: Agent, bob: Agent, served_repo: Path, tmp_path: Path
) -> None:
    assert alice.gitcoord("task", "add", "api", "--id", "api", "--paths", "src/api.py").rc == 0
    started, marker = tmp_path / "started", tmp_path / "stopped"
    worker = start_worker(
        alice,
        "--once",
        "--ttl",
        "3s",
        "--",
        "sh",
        "-c",
        LOOP.format(marker=marker, started=started),
    )
    try:
        wait_for(started)
        assert bob.claim("--break", "src/api.py", "-r", "hotfix").rc == 0
        err = worker.communicate(timeout=60)[1]
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 1, err
    assert marker.read_text() == "stopped\n"  # CMD was stopped
    assert _only_task(served_repo)[:2] == ("pending", 1)  # given back, the attempt counted


def test_a_worker_whose_terminal_closed_releases_its_task(
    alice: Agent, served_repo: Path, tmp_path: Path
) -> None:
    assert alice.gitcoord("task", "add", "job", "--id", "job").rc == 0
    started, marker = tmp_path / "started", tmp_path / "stopped"
    worker = start_worker(alice, "--", "sh", "-c", LOOP.format(marker=marker, started=started))
    try:
        wait_for(started)
        worker.send_signal(signal.SIGHUP)
        err = worker.communicate(timeout=60)[1]
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 143, err
    assert "worker: released task job" in err
    assert _only_task(served_repo)[:2] == ("pending", 0)
