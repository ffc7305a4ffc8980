"""`gitcoord worker run -- CMD` end to end: real clones of a bare file:// remote, the real CLI,
the task's state read back with `gitcoord task show --json`. CMD gets the task's id, input and
result files; exit 0 completes the task with the result file's JSON, another status fails it;
heartbeats keep a long CMD's task running past its TTL; a lease lost meanwhile (the worker
hung, the task reaped and taken by another) stops CMD and names the new owner; SIGTERM
stops CMD and gives the task back."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.fastclock import run_ahead
from tests.fetchfault import FetchFault
from tests.gitenv import Agent
from tests.hookenv import Team, make_team

CONFIG = '[claims]\nmax_age = "0s"\nclock_skew = "0s"\n'
# CMD that runs until stopped, saying when it started (its pid) and that SIGTERM reached it.
LOOP = (
    "trap 'echo stopped > {marker}; exit 143' TERM; echo $$ > {started}; "
    "while :; do sleep 0.1; done"
)


@pytest.fixture
def team(tmp_path: Path, env: dict[str, str]) -> Team:
    return make_team(tmp_path, env, CONFIG)


def join(team: Team, name: str) -> Agent:
    return team.join(name, hooks=False, ack=False)


def add(agent: Agent, task_id: str, *args: str) -> None:
    res = agent.gitcoord("task", "add", f"do {task_id}", "--id", task_id, *args)
    assert res.rc == 0, res.err


def show(agent: Agent, task_id: str) -> dict[str, Any]:
    res = agent.gitcoord("task", "show", task_id, "--json")
    assert res.rc == 0, res.err
    data: dict[str, Any] = res.json()
    return data


def start_worker(agent: Agent, *args: str) -> subprocess.Popen[str]:
    return agent.spawn("gitcoord", "worker", "run", *args)


def wait_for(path: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_once_completes_the_task_with_the_result_files_json(team: Team, tmp_path: Path) -> None:
    alice = join(team, "alice")
    add(alice, "sum", "--input", '{"a": 2, "b": 3}')
    copy = tmp_path / "input.copy"
    script = (
        f'cp "$GITCOORD_TASK_INPUT" {copy}; echo "working on $GITCOORD_TASK_ID"; '
        'printf \'{"sum": 5, "id": "%s"}\' "$GITCOORD_TASK_ID" > "$GITCOORD_TASK_RESULT"'
    )
    res = alice.gitcoord("worker", "run", "--once", "--", "sh", "-c", script)
    assert res.rc == 0, res.err
    assert res.out == "working on sum\n"  # CMD's stdout is the worker's; its own lines: stderr
    assert "worker: took task sum" in res.err and "worker: task sum done" in res.err
    assert json.loads(copy.read_text()) == {"a": 2, "b": 3}
    task = show(alice, "sum")["task"]
    assert (task["state"], task["result"], task["owner"]["agent"]) == (
        "done",
        {"sum": 5, "id": "sum"},
        "alice",
    )
    again = alice.gitcoord("worker", "run", "--once", "--", "true")
    assert again.rc == 1
    assert "gitcoord: no task is ready: no pending task without a pool" in again.err


def test_once_fails_the_task_with_the_exit_status(team: Team) -> None:
    alice = join(team, "alice")
    add(alice, "broken")
    res = alice.gitcoord("worker", "run", "--once", "--", "sh", "-c", "exit 3")
    assert res.rc == 1
    task = show(alice, "broken")["task"]
    assert (task["state"], task["reason"]) == ("failed", "sh exited with status 3")
    # A command that cannot start takes no task: a typo must not fail the whole queue.
    add(alice, "missing")
    res = alice.gitcoord("worker", "run", "--once", "--", "no-such-program-here")
    assert res.rc == 2
    assert "cannot run the command: no-such-program-here: command not found" in res.err
    assert show(alice, "missing")["task"]["state"] == "pending"
    res = alice.gitcoord("worker", "run", "--once", "--", "./no/such/script.sh")
    assert res.rc == 2 and "./no/such/script.sh: no such file or directory" in res.err
    assert show(alice, "missing")["task"]["state"] == "pending"
    assert alice.gitcoord("task", "take", "missing").rc == 0  # out of the way of the next
    assert alice.gitcoord("task", "fail", "missing", "-r", "not this one").rc == 0
    add(alice, "garbled")
    res = alice.gitcoord(
        "worker", "run", "--once", "--", "sh", "-c", 'echo "{" > "$GITCOORD_TASK_RESULT"'
    )
    assert res.rc == 1
    task = show(alice, "garbled")["task"]
    assert task["state"] == "failed"
    assert task["reason"].startswith(
        "sh exited 0 but its result was refused: the result file is not JSON"
    )


def test_heartbeats_keep_a_long_commands_task_past_its_ttl(team: Team, tmp_path: Path) -> None:
    alice, bob = join(team, "alice"), join(team, "bob")
    add(alice, "long")
    started = tmp_path / "started"
    script = f'touch {started}; sleep 6; echo \'{{"slept": 6}}\' > "$GITCOORD_TASK_RESULT"'
    worker = start_worker(alice, "--once", "--ttl", "3s", "--", "sh", "-c", script)
    wait_for(started)
    began = time.monotonic()
    reaps = []
    for at in (3.6, 5.0):  # seconds into CMD: past the 3s lease it was taken with (skew 0s)
        time.sleep(max(0.0, at - (time.monotonic() - began)))
        reaps.append(bob.gitcoord("task", "reap", "--json").json()["reaped"])
    assert reaps == [[], []]
    err = worker.communicate(timeout=60)[1]
    assert worker.returncode == 0, err
    shown = show(alice, "long")
    assert (shown["task"]["state"], shown["task"]["result"]) == ("done", {"slept": 6})
    states = [v["state"] for v in shown["history"]]
    # Taken, then a heartbeat every second, and never pending again.
    assert states[:2] == ["pending", "running"] and states[-1] == "done", states
    assert set(states[1:-1]) == {"running"} and len(states) >= 7, states


def test_a_lost_lease_stops_the_command_and_names_the_new_owner(team: Team, tmp_path: Path) -> None:
    alice, bob = join(team, "alice"), join(team, "bob")
    add(alice, "hung")
    started, marker = tmp_path / "started", tmp_path / "stopped"
    script = LOOP.format(marker=marker, started=started)
    worker = start_worker(alice, "--once", "--ttl", "3s", "--", "sh", "-c", script)
    wait_for(started)
    os.kill(worker.pid, signal.SIGSTOP)  # the worker hangs: no heartbeat
    try:
        run_ahead(bob, tmp_path / "site", 3600)  # its lease has long ended, by bob's clock
        reaped = bob.gitcoord("task", "reap", "--json")
        assert [t["id"] for t in reaped.json()["reaped"]] == ["hung"], reaped.err
        taken = bob.gitcoord("task", "take", "hung", "--json")
        assert taken.json()["task"]["owner"]["agent"] == "bob", taken.err
    finally:
        os.kill(worker.pid, signal.SIGCONT)
    err = worker.communicate(timeout=60)[1]
    assert worker.returncode == 1, err
    assert "gitcoord: lost task hung while sh ran: task hung is running for bob" in err
    assert "stopped sh (exit status 143)" in err
    assert marker.read_text() == "stopped\n"  # CMD got SIGTERM
    with pytest.raises(ProcessLookupError):
        os.kill(int(started.read_text()), 0)
    task = show(bob, "hung")["task"]
    assert (task["state"], task["owner"]["agent"]) == ("running", "bob")


def test_sigterm_stops_the_command_and_releases_the_task(team: Team, tmp_path: Path) -> None:
    alice = join(team, "alice")
    add(alice, "stopme")
    started, marker = tmp_path / "started", tmp_path / "stopped"
    script = LOOP.format(marker=marker, started=started)
    worker = start_worker(alice, "--", "sh", "-c", script)  # the loop: it would take more
    wait_for(started)
    worker.send_signal(signal.SIGTERM)
    err = worker.communicate(timeout=60)[1]
    assert worker.returncode == 143, err
    assert "worker: released task stopme" in err
    assert marker.read_text() == "stopped\n"
    task = show(alice, "stopme")["task"]
    assert (task["state"], task["owner"], task["attempts"]) == ("pending", None, 0)


def test_a_failed_poll_is_warned_and_retried_not_fatal(team: Team, tmp_path: Path) -> None:
    alice, bob = join(team, "alice"), join(team, "bob")
    fault = FetchFault(alice, tmp_path / "fault")
    fault.fail(2, 3)  # the worker's second and third looks for a task: connection reset
    log = tmp_path / "log"
    worker = start_worker(alice, "--", "sh", "-c", f'echo "$GITCOORD_TASK_ID" >> {log}')
    try:
        deadline = time.monotonic() + 30
        while fault.failed() != [2, 3] or fault.fetches() < 4:  # and it looked again after
            assert worker.poll() is None, worker.communicate()[1]
            assert time.monotonic() < deadline, f"fetches: {fault.fetches()}"
            time.sleep(0.05)
        add(bob, "after-the-fault")
        wait_for(log)
        assert log.read_text() == "after-the-fault\n"
        assert show(bob, "after-the-fault")["task"]["state"] == "done"
    finally:
        worker.send_signal(signal.SIGTERM)
    err = worker.communicate(timeout=60)[1]
    assert worker.returncode == 143, err
    warned = [ln for ln in err.splitlines() if "warning: could not look for a task" in ln]
    assert len(warned) == 2, err
    assert "cannot reach remote 'origin'" in warned[0] and "Connection reset by peer" in warned[0]
    assert warned[0].endswith("retrying in 1s") and warned[1].endswith("retrying in 2s"), err


def test_a_file_left_by_a_killed_git_stops_the_worker_at_once(team: Team) -> None:
    """A leftover packed-refs.new/.lock never goes away by waiting: the worker exits 3
    naming it and the `rm` that fixes it, instead of retrying forever."""
    alice, bob = join(team, "alice"), join(team, "bob")
    add(bob, "gone-soon")
    assert alice.gitcoord("task", "list").rc == 0  # mirrors the task's ref
    alice.git("pack-refs", "--all")
    assert bob.gitcoord("task", "cancel", "gone-soon", "-r", "not needed").rc == 0
    left = [alice.path / ".git" / f"packed-refs.{ext}" for ext in ("lock", "new")]
    for path in left:
        path.write_text("")  # what a git killed while pruning that ref leaves
    worker = start_worker(alice, "--", "true")
    _, err = worker.communicate(timeout=60)
    assert worker.returncode == 3, err
    assert "retrying" not in err
    assert f"rm {left[0]} {left[1]}" in err


def _gone(pid: int) -> bool:
    """Whether process `pid` has ended (a zombie not yet reaped by its new parent counts)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def kill_starter(pids: list[int], starter: subprocess.Popen[str]) -> None:
    """SIGKILL `starter` (no handler of it runs) and assert that the processes `pids`, its
    command and that command's children, end with it. Not before its command's watchdog
    runs (a second child): a kill before that leaves only PR_SET_PDEATHSIG, which ends the
    command but not the children it started."""
    deadline = time.monotonic() + 20
    while len(_children(starter.pid)) < 2:
        assert time.monotonic() < deadline, "the command's watchdog never started"
        time.sleep(0.05)
    try:
        starter.kill()
        starter.wait(timeout=30)
        deadline = time.monotonic() + 10
        while not all(_gone(pid) for pid in pids):
            assert time.monotonic() < deadline, "CMD outlived its SIGKILLed starter"
            time.sleep(0.05)
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        starter.communicate(timeout=30)  # (CMD left alive would hold its output open)


def test_a_sigkilled_worker_takes_its_command_with_it(team: Team, tmp_path: Path) -> None:
    alice = join(team, "alice")
    add(alice, "orphan")
    started, child = tmp_path / "started", tmp_path / "child"
    # CMD starts a child of its own: the whole group must go, not only CMD.
    script = f"sleep 300 & echo $! > {child}; echo $$ > {started}; wait"
    worker = start_worker(alice, "--", "sh", "-c", script)
    wait_for(started)
    wait_for(child)
    kill_starter([int(started.read_text()), int(child.read_text())], worker)
    task = show(alice, "orphan")["task"]
    assert (task["state"], task["owner"]["agent"]) == ("running", "alice")  # reap returns it
