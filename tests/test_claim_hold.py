"""`git claim PATH... -- CMD` (hold the claims while CMD runs), `git claim --check`, the
listing's filters and `-d --commit`'s check, end to end: real clones of a bare file://
remote, the real CLI, the claims read back from the server's refs (remote_state.py)."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.gitenv import Agent
from tests.remote_state import held_on_server, remote_claims, remote_log
from tests.test_worker import LOOP, kill_starter, wait_for

pytestmark = pytest.mark.transports("file")


def start_hold(agent: Agent, *args: str) -> subprocess.Popen[str]:
    return agent.spawn("git-claim", *args)  # not through git: signals reach git claim


def test_a_hold_outlives_its_ttl_records_head_and_passes_on_the_status(
    alice: Agent, served_repo: Path, tmp_path: Path
) -> None:
    ran = tmp_path / "ran"
    script = (
        f"echo $$ > {ran}; sleep 4.5; "
        "git commit -q --allow-empty --no-verify -m work && echo out-of-cmd; exit 7"
    )
    hold = start_hold(alice, "src/api.py", "--ttl", "3s", "--", "sh", "-c", script)
    wait_for(ran)
    time.sleep(4)  # past the 3s lease: only the renewals keep it
    (held,) = remote_claims(served_repo)
    assert (held.agent, str(held.path)) == ("alice", "src/api.py")
    assert held.expires_at > time.time()
    out, err = hold.communicate(timeout=60)
    assert hold.returncode == 7, err  # CMD's status
    assert out == "out-of-cmd\n"  # stdout is CMD's; git claim's lines are on stderr
    head = alice.git("rev-parse", "HEAD").strip()
    assert "claimed src/api.py (write, expires in 3s)" in err
    assert f"released src/api.py (write) at {head[:12]}" in err
    assert held_on_server(served_repo) == []
    events = [e for e in remote_log(served_repo) if e.event in ("renew", "release")]
    assert events[0].event == "renew" and events[-1].event == "release"
    assert events[-1].commit == head  # HEAD moved while CMD ran


def test_a_broken_hold_stops_the_command_naming_the_breaker(
    alice: Agent, bob: Agent, served_repo: Path, tmp_path: Path
) -> None:
    started, marker = tmp_path / "started", tmp_path / "stopped"
    script = LOOP.format(marker=marker, started=started)
    hold = start_hold(alice, "src/api.py", "docs/", "--ttl", "3s", "--", "sh", "-c", script)
    wait_for(started)
    broke = bob.claim("--break", "src/api.py", "-r", "alice is stuck")
    assert broke.rc == 0, broke.err
    err = hold.communicate(timeout=30)[1]
    assert hold.returncode == 1, err
    assert "gitcoord: lost the claim on src/api.py docs/ while sh ran: your claim on " in err
    assert "src/api.py was lost (broken by bob" in err and "alice is stuck" in err
    assert "stopped sh (exit status 143)" in err
    assert marker.read_text() == "stopped\n"  # CMD got SIGTERM
    assert held_on_server(served_repo) == []  # what was still held (docs/) is released


def test_sigint_reaches_the_command_and_releases_the_claims(
    alice: Agent, served_repo: Path, tmp_path: Path
) -> None:
    started, marker = tmp_path / "started", tmp_path / "got"
    script = f"trap 'echo int > {marker}; exit 130' INT; echo $$ > {started}; sleep 30 & wait"
    hold = start_hold(alice, "src/api.py", "--", "sh", "-c", script)
    wait_for(started)
    assert held_on_server(served_repo) == [("alice", "src/api.py", "write")]
    hold.send_signal(signal.SIGINT)
    err = hold.communicate(timeout=30)[1]
    assert hold.returncode == 130, err
    assert marker.read_text() == "int\n"
    assert "released src/api.py (write)" in err
    assert held_on_server(served_repo) == []


def test_a_sigkilled_hold_takes_its_command_with_it(alice: Agent, tmp_path: Path) -> None:
    started, child = tmp_path / "started", tmp_path / "child"
    script = f"sleep 300 & echo $! > {child}; echo $$ > {started}; wait"
    hold = start_hold(alice, "src/api.py", "--", "sh", "-c", script)
    wait_for(started)
    wait_for(child)
    kill_starter([int(started.read_text()), int(child.read_text())], hold)


def test_hold_usage_errors_claim_nothing(alice: Agent, bob: Agent, served_repo: Path) -> None:
    cases = {
        ("--", "sleep", "1"): "-- CMD goes after the paths to hold while CMD runs",
        ("src/api.py", "--"): "nothing to run after --",
        ("src/api.py", "--", "no-such-program-x"): "no-such-program-x: command not found",
        ("src/api.py", "--json", "--", "true"): "--json does not go with -- CMD",
        ("--check", "src/api.py", "--", "true"): "--check runs no command",
    }
    for args, said in cases.items():
        res = alice.claim(*args)
        assert res.rc == 2 and said in res.err, (args, res.err)
        assert "--json" in args or res.out == "", args
    assert held_on_server(served_repo) == []
    # A hold that cannot get its claims runs nothing: refused like a claim (1).
    assert bob.claim("src/api.py").rc == 0
    refused = alice.claim("src/api.py", "--", "sh", "-c", "echo ran")
    assert (refused.rc, refused.out) == (1, ""), refused.err
    assert "src/api.py is claimed by bob" in refused.err


def test_check_names_the_blockers_without_claiming(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    assert alice.claim("src/api.py", "-r", "fix auth").rc == 0
    before = (held_on_server(served_repo), len(remote_log(served_repo)))
    blocked = bob.claim("--check", "src/api.py", "src/db.py")
    assert (blocked.rc, blocked.out) == (1, ""), blocked.err
    assert "would be refused: src/api.py is claimed by alice" in blocked.err
    as_json = bob.claim("--check", "src/", "--json")
    assert as_json.rc == 1, as_json.err
    data = as_json.json()
    assert data["free"] is False and [c["agent"] for c in data["blockers"]] == ["alice"]
    free = bob.claim("--check", "src/db.py")
    assert (free.rc, free.out) == (0, "free: src/db.py\n"), free.err
    assert bob.claim("--check", "-m", "read", "docs/", "--json").json() == {
        "free": True,
        "blockers": [],
        "stale": [],  # [checks] fresh (tests/test_freshness.py)
    }
    assert (held_on_server(served_repo), len(remote_log(served_repo))) == before  # no push


def test_listing_filters_by_agent_mine_and_directory(alice: Agent, bob: Agent) -> None:
    assert alice.claim("src/api.py").rc == 0
    assert bob.claim("docs/", "README.md").rc == 0

    def paths(agent: Agent, *args: str) -> list[str]:
        res = agent.claim("--json", *args)
        assert res.rc == 0, res.err
        return [c["path"] for c in res.json()["claims"]]

    assert paths(alice, "--mine") == ["src/api.py"]
    assert paths(alice, "--agent", "bob") == ["README.md", "docs/"]
    assert paths(alice, "--under", "src") == ["src/api.py"]
    assert paths(alice, "--under", "docs/api/") == ["docs/"]  # a claim covering DIR counts
    assert paths(alice, "--agent", "bob", "--under", "src/") == []
    assert alice.claim("--agent", "carol").out == "no live claims match\n"
    status = alice.gitcoord("status", "--json", "--agent", "bob", "--under", "docs").json()
    assert (status["mine"], [c["path"] for c in status["others"]]) == ([], ["docs/"])
    both = alice.claim("--mine", "--agent", "bob")
    assert both.rc == 2 and "give --mine or --agent, not both" in both.err
    misplaced = alice.claim("src/db.py", "--under", "src")
    assert misplaced.rc == 2 and "go with listing" in misplaced.err
