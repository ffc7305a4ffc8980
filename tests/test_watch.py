"""`gitcoord watch` end to end: real clones of a bare file:// remote and the real CLI. One frame
(`--once`, plain text when stdout is not a terminal) shows the live claims with holders and
expiry, the tasks by state with owners, the pools' used/total slots, the leases ending soon
and the latest audit events; in a real terminal (tmux) the live view refreshes in place."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.gitenv import Agent, require_tool
from tests.hookenv import Team, make_team

CONFIG = '[claims]\nmax_age = "0s"\n\n[tasks]\nttl = "5m"\n\n[pools.gpu]\nslots = 2\n'


@pytest.fixture
def team(tmp_path: Path, env: dict[str, str]) -> Team:
    return make_team(tmp_path, env, CONFIG)


def ok(agent: Agent, *args: str) -> None:
    res = agent.gitcoord(*args)
    assert res.rc == 0, (args, res.err)


def rows(frame: str, section: str) -> list[list[str]]:
    """The rows under a section's title line (its header first), split on runs of 2+ spaces."""
    lines = frame.split(f"\n{section}")[1].split("\n\n")[0].splitlines()[1:]
    return [re.split(r"\s{2,}", line.strip()) for line in lines]


def test_once_prints_a_plain_frame_of_claims_tasks_pools_leases_and_events(team: Team) -> None:
    alice = team.join("alice", hooks=False, ack=False)
    bob = team.join("bob", hooks=False, ack=False)
    carol = team.join("carol", hooks=False, ack=False)
    ok(alice, "claim", "src/api.py", "-r", "fix the api", "--ttl", "1h")
    ok(alice, "task", "add", "train the model", "--id", "train", "--pool", "gpu")
    ok(alice, "task", "add", "write docs", "--id", "docs", "--priority", "5")
    ok(alice, "task", "add", "deploy", "--id", "deploy", "--after", "docs")
    ok(alice, "task", "add", "broken", "--id", "broken", "--priority", "9")
    ok(bob, "task", "take", "train")
    ok(bob, "task", "take", "broken")
    ok(bob, "task", "fail", "broken", "-r", "disk full")

    res = carol.gitcoord("watch", "--once")  # stdout is a pipe: plain text
    assert (res.rc, res.err) == (0, ""), res.err
    frame = res.out
    assert "\x1b[" not in frame and "─" not in frame  # no colours, no box lines
    assert frame.startswith("gitcoord watch: origin at ")
    claims = rows(frame, "claims (1 live):")
    assert claims[0] == ["path", "mode", "holder", "lease"]
    assert claims[1][:3] == ["src/api.py", "write", "alice"]
    assert re.fullmatch(r"expires in (59m|1h)", claims[1][3]), claims
    running = rows(frame, "tasks running (1 running, 2 pending, 1 failed, 0 done):")
    assert running[0] == ["id", "title", "owner", "pool", "heartbeat", "lease"]
    assert running[1][:4] == ["train", "train the model", f"bob@{os.uname().nodename}", "gpu"]
    assert re.fullmatch(r"in 4m\d*s?|in 5m", running[1][5]), running
    pending = rows(frame, "tasks pending:")
    assert [r[0] for r in pending[1:]] == ["docs", "deploy"]  # take order: priority first
    assert pending[2][-1] == "docs"  # deploy waits for docs
    assert rows(frame, "tasks failed:")[1] == ["broken", "broken", "0", "disk full"]
    assert rows(frame, "tasks done:") == [["none"]]
    assert rows(frame, "pools:")[1] == ["gpu", "1/2", "train"]
    expiring = rows(frame, "expiring leases:")
    assert [r[:3] for r in expiring[1:]] == [["task", "train", f"bob@{os.uname().nodename}"]]
    events = [r for r in rows(frame, "latest events:")[1:]]
    assert [(e[1], e[2], e[3]) for e in events[-2:]] == [
        ("alice", "claim", "src/api.py (write)"),
        ("alice", "grant", "src/api.py (write)"),
    ]


def test_watch_refreshes_in_a_real_terminal(team: Team, tmp_path: Path) -> None:
    tmux = require_tool("tmux")
    alice = team.join("alice", hooks=False, ack=False)
    ok(alice, "task", "add", "first task", "--id", "first")
    env = {**alice.environ(), "TERM": "xterm-256color"}
    socket = str(tmp_path / "tmux.sock")

    def run(*args: str) -> str:
        proc = subprocess.run(
            [tmux, "-S", socket, "-f", os.devnull, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return proc.stdout

    def screen_shows(text: str) -> str:
        deadline = time.monotonic() + 20
        while True:
            screen = run("capture-pane", "-p", "-t", "watch")
            if text in screen or time.monotonic() > deadline:
                return screen
            time.sleep(0.2)

    # The shell's `sleep` keeps the pane (and an error message) readable if watch exits.
    command = "gitcoord watch --interval 1s; echo watch exited $?; sleep 60"
    run("new-session", "-d", "-s", "watch", "-x", "160", "-y", "60", "-c", str(alice.path), command)
    try:
        screen = screen_shows("first task")
        assert "first task" in screen, screen
        assert "tasks pending" in screen and "─" in screen, screen  # rich's table rules
        ok(alice, "task", "add", "second task", "--id", "second")
        screen = screen_shows("second task")  # the next refresh, in place
        assert "second task" in screen and "watch exited" not in screen, screen
        assert screen.count("tasks pending") == 1, screen  # redrawn, not scrolled
    finally:
        run("kill-server")
