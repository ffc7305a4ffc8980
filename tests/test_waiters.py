"""Fair waiting (issue 16, item 6), end to end: real clones of a bare file:// remote, the
real CLI, the queue read back from the server's refs/claim-waiters/ (never from a client's
listing code): a `--wait` claim is published while it waits and removed when granted or
given up; a killed waiter lapses and `gitcoord gc` removes it; --priority orders the
queue; a writer that waited past [claims] promote_after is granted while readers keep
arriving."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from gitcoord.core import refnames
from gitcoord.core.modes import Mode
from gitcoord.core.paths import ClaimPath
from gitcoord.git.objects import list_refs
from gitcoord.git.repo import Repo
from gitcoord.protocol.coordinator import Coordinator, Request
from gitcoord.store.claimstore import ClaimStore
from gitcoord.store.policy_source import load_policy
from tests.fastclock import run_ahead
from tests.gitenv import Agent
from tests.remote_state import held_on_server, remote_waiters
from tests.serverside import gitcoord_server
from tests.test_hostile import _blob, _commit, _push_object

pytestmark = pytest.mark.transports("file")


def start(agent: Agent, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["git-claim", *args],
        cwd=agent.path,
        env=agent.environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@contextmanager
def running(proc: subprocess.Popen[str]) -> Iterator[subprocess.Popen[str]]:
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate()


def until(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def queued(repo: Path) -> list[tuple[str, str, tuple[str, ...], str]]:
    return sorted(
        (w.agent, w.mode.value, tuple(str(p) for p in w.paths), w.priority)
        for w in remote_waiters(repo)
    )


def test_a_waiter_is_listed_while_it_waits_and_gone_once_granted(
    alice: Agent, bob: Agent, carol: Agent, served_repo: Path
) -> None:
    assert bob.claim("src/api.py").rc == 0
    with running(start(alice, "--wait", "60s", "--priority", "high", "src/api.py")) as waiter:
        until(lambda: queued(served_repo) != [], "alice's waiter on the remote")
        assert queued(served_repo) == [("alice", "write", ("src/api.py",), "high")]
        listed = carol.claim()
        assert listed.rc == 0, listed.err
        lines = listed.out.splitlines()
        assert lines[1] == "waiting (1):"
        shown = lines[2].split()
        assert shown[:4] + shown[5:] == ["src/api.py", "write", "alice", "waiting", "high"]
        data = carol.claim("--json").json()
        assert [(w["agent"], w["paths"], w["mode"], w["priority"]) for w in data["waiting"]] == [
            ("alice", ["src/api.py"], "write", "high")
        ]
        assert data["waiting"][0]["ref"].startswith("refs/claim-waiters/")
        status = carol.gitcoord("status")
        assert "waiting (1), first in line first:" in status.out, status.out
        assert carol.gitcoord("status", "--json").json()["waiting"][0]["agent"] == "alice"
        assert bob.claim("-d", "src/api.py").rc == 0
        out, err = waiter.communicate(timeout=60)
    assert waiter.returncode == 0, err
    assert out.startswith("claimed src/api.py")
    assert held_on_server(served_repo) == [("alice", "src/api.py", "write")]
    assert remote_waiters(served_repo) == []
    assert "waiting" not in carol.claim().out


def test_a_waiter_that_gives_up_leaves_no_ref(alice: Agent, bob: Agent, served_repo: Path) -> None:
    assert bob.claim("src/api.py").rc == 0
    gave_up = alice.claim("--wait", "3s", "src/api.py")
    assert gave_up.rc == 1
    assert "\ngitcoord: gave up waiting: src/api.py is claimed by bob" in gave_up.err, gave_up.err
    assert remote_waiters(served_repo) == []


def test_a_killed_waiter_lapses_and_gc_removes_it(
    alice: Agent, bob: Agent, carol: Agent, served_repo: Path, tmp_path: Path
) -> None:
    assert bob.claim("src/api.py").rc == 0
    with running(start(alice, "--wait", "src/api.py")) as waiter:
        until(lambda: queued(served_repo) != [], "alice's waiter on the remote")
        os.kill(waiter.pid, signal.SIGKILL)
        waiter.communicate()
    assert queued(served_repo) == [("alice", "write", ("src/api.py",), "normal")]
    assert "waiting (1):" in carol.claim().out  # live until its lease ends
    run_ahead(carol, tmp_path / "site", 120)  # the waiter's 30 s lease has passed for carol
    assert "waiting" not in carol.claim().out
    dry = carol.gitcoord("gc", "--dry-run")
    assert dry.rc == 0, dry.err
    assert "would remove dead waiter of alice (write src/api.py)" in dry.out, dry.out
    assert len(remote_waiters(served_repo)) == 1
    swept = carol.gitcoord("gc", "--json")
    assert swept.rc == 0, swept.err
    assert [w["agent"] for w in swept.json()["waiters"]] == ["alice"]
    assert remote_waiters(served_repo) == []
    assert held_on_server(served_repo) == [("bob", "src/api.py", "write")]  # bob's is live


def test_the_higher_priority_waiter_is_granted_first(
    alice: Agent, bob: Agent, carol: Agent, served_repo: Path
) -> None:
    assert bob.claim("src/").rc == 0
    with running(start(alice, "--wait", "60s", "src/api.py")) as low:
        until(lambda: len(queued(served_repo)) == 1, "alice's waiter")
        with running(start(carol, "--wait", "60s", "--priority", "critical", "src/")) as high:
            until(lambda: len(queued(served_repo)) == 2, "carol's waiter")
            assert bob.claim("-d", "src/").rc == 0
            out, err = high.communicate(timeout=60)
            assert high.returncode == 0, err
            assert out.startswith("claimed src/ (write")
            # carol was granted while alice, first to wait but of normal priority, waits on.
            assert low.poll() is None
            assert held_on_server(served_repo) == [("carol", "src/", "write")]
            assert queued(served_repo) == [("alice", "write", ("src/api.py",), "normal")]
            assert carol.claim("-d", "src/").rc == 0
        out, err = low.communicate(timeout=60)
    assert low.returncode == 0, err
    assert out.startswith("claimed src/api.py (write")
    assert held_on_server(served_repo) == [("alice", "src/api.py", "write")]
    assert remote_waiters(served_repo) == []


PROMOTE = '[claims]\npromote_after = "2s"\n'


def test_a_waiting_writer_is_granted_while_readers_keep_arriving(
    make_agent: Callable[[str], Agent], served_repo: Path
) -> None:
    """The issue's acceptance: two readers take turns on src/ so that one always holds it
    (each claims before the other releases); a writer waits. Once it has waited past
    promote_after, new read claims are refused naming it, the held ones run out, and the
    writer is granted."""
    writer, *readers = (make_agent(n) for n in ("alice", "bob", "carol"))
    for agent in (writer, *readers):
        agent.set_policy(PROMOTE)
    assert readers[0].claim("-m", "read", "src/").rc == 0
    refusals: list[str] = []
    stop = threading.Event()

    def take_turns() -> None:
        turn = 1
        while not stop.is_set():
            got = readers[turn].claim("-m", "read", "src/api.py")
            if got.rc == 1:
                refusals.append(got.err)
            time.sleep(0.3)
            readers[1 - turn].claim("-d", "--all")
            turn = 1 - turn

    with running(start(writer, "--wait", "90s", "src/")) as waiting:
        until(lambda: queued(served_repo) != [], "the writer's waiter")
        turns = threading.Thread(target=take_turns)
        turns.start()
        try:
            out, err = waiting.communicate(timeout=90)
        finally:
            stop.set()
            turns.join()
    assert waiting.returncode == 0, err
    assert out.startswith("claimed src/ (write")
    held = held_on_server(served_repo)
    assert ("alice", "src/", "write") in held and all(a == "alice" for a, _, _ in held), held
    assert refusals, "no reader was ever held off"
    assert refusals[0].startswith(
        "gitcoord: refused: alice waits to write src/ (normal priority, waiting "
    )
    assert "[claims] promote_after (2s) goes before new read and intent claims" in refusals[0]
    assert remote_waiters(served_repo) == []


def test_priority_goes_with_wait(alice: Agent, served_repo: Path) -> None:
    alone = alice.claim("--priority", "high", "src/api.py")
    assert (alone.rc, alone.out) == (2, "")
    assert alone.err.startswith("gitcoord: --priority goes with --wait")
    bad = alice.claim("--wait", "5s", "--priority", "urgent", "src/api.py")
    assert bad.rc == 2
    assert "invalid --priority 'urgent': expected low, normal, high, critical" in bad.err
    assert held_on_server(served_repo) == []


def test_hostile_waiter_refs_are_skipped_with_a_warning_and_swept(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    forged = refnames.waiter_ref("bob", "s")
    _push_object(alice, refnames.WAITERS + "aaaa", _blob(alice, "not a waiter"))
    _push_object(alice, forged, _commit(alice, "waiter\n\n" + "[" * 5000))
    listed = bob.claim("--json")
    assert listed.rc == 0, listed.err
    assert listed.json()["waiting"] == []
    assert f"warning: skipping {refnames.WAITERS}aaaa" in listed.err
    assert f"warning: skipping {forged}" in listed.err
    assert alice.claim("-m", "read", "src/").rc == 0  # a forged waiter holds nothing off
    swept = bob.gitcoord("gc")
    assert swept.rc == 0, swept.err
    assert f"removed {forged}: waiter body is nested deeper than 4 levels" in swept.out
    assert list_refs(str(served_repo), refnames.WAITERS) == []


def test_a_waiter_renews_its_place_while_it_waits(
    alice: Agent, bob: Agent, served_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In process, with the time injected: each poll of the wait loop passes 4 s, so the
    30 s waiter lease is renewed (a new object, leased on the old) every 15 s; bob releases
    after a minute of this time, and alice is granted with no waiter ref left."""
    assert bob.claim("src/api.py").rc == 0
    for key, value in alice.environ().items():
        monkeypatch.setenv(key, value)
    repo = Repo.discover(str(alice.path))
    config = load_policy(repo.toplevel).config
    me = repo.identity()
    now = [time.time()]
    seen: list[str] = []

    def sleep(_seconds: float) -> None:
        now[0] += 4
        seen.extend(w.oid for w in remote_waiters(served_repo) if w.oid not in seen)
        if len(seen) == 4:
            assert bob.claim("-d", "src/api.py").rc == 0

    coordinator = Coordinator(
        ClaimStore(repo, config, me), config, me, clock=lambda: now[0], sleep=sleep
    )
    request = Request(ClaimPath.parse_stored("src/api.py"), Mode.WRITE)
    held = coordinator.claim([request], ttl=600, reason="", wait=300).held
    assert [str(c.path) for c in held] == ["src/api.py"]
    assert len(seen) == 4  # published, then renewed three times (each a new object)
    assert remote_waiters(served_repo) == []
    assert held_on_server(served_repo) == [("alice", "src/api.py", "write")]


def test_server_hooks_accept_a_waiter_and_refuse_forged_ones(
    alice: Agent, bob: Agent, served_repo: Path, env: dict[str, str]
) -> None:
    """With gitcoord's server hooks installed, the queue works as without them; a waiter
    ref holding no waiter, or (GL_USER) in another agent's name, is refused."""
    assert gitcoord_server(env, "install", str(served_repo)).rc == 0
    assert bob.claim("src/api.py").rc == 0
    with running(start(alice, "--wait", "60s", "src/api.py")) as waiter:
        until(lambda: queued(served_repo) != [], "alice's waiter on the remote")
        assert bob.claim("-d", "src/api.py").rc == 0
        out, err = waiter.communicate(timeout=60)
    assert waiter.returncode == 0, err
    assert out.startswith("claimed src/api.py") and "could not publish" not in err
    assert remote_waiters(served_repo) == []
    junk = alice.run("git", "push", "origin", f"{_blob(alice, 'x')}:{refnames.WAITERS}aaaa")
    assert junk.rc != 0
    assert f"gitcoord: refused {refnames.WAITERS}aaaa: not a valid waiter" in junk.err
    bob.extra["GL_USER"] = "carol"  # over file:// the hooks see the pusher's environment
    forged = bob.claim("--wait", "2s", "src/api.py")  # alice holds it now
    assert forged.rc == 1
    assert "note: could not publish this claim's place in the queue (the remote refused" in (
        forged.err
    )
    assert "a waiter in the name of bob, but you are carol" in forged.err
    assert forged.err.count("note: could not publish") == 1  # told once, then waits unseen
    assert remote_waiters(served_repo) == []


def test_new_readers_go_behind_a_promoted_writer_and_check_says_so(
    alice: Agent, bob: Agent, carol: Agent, served_repo: Path
) -> None:
    carol.set_policy('[claims]\npromote_after = "1s"\n')
    assert bob.claim("-m", "read", "src/").rc == 0
    with running(start(alice, "--wait", "60s", "src/")) as writer:
        until(lambda: queued(served_repo) != [], "alice's waiter")
        time.sleep(1.5)  # alice has now waited past carol's promote_after
        check = carol.claim("--check", "-m", "read", "src/api.py")
        assert check.rc == 1
        assert check.err.startswith("gitcoord: would be refused: alice waits to write src/")
        assert carol.claim("--check", "-m", "read", "--json", "src/api.py").json()["free"] is False
        refused = carol.claim("-m", "read", "src/api.py")
        assert refused.rc == 1
        assert refused.err.startswith("gitcoord: refused: alice waits to write src/ (normal")
        queued_reader = carol.claim("-m", "read", "--wait", "2s", "src/api.py")
        assert queued_reader.rc == 1
        assert "gitcoord: gave up waiting: alice waits to write src/" in queued_reader.err
        assert "ahead in the queue" in queued_reader.err
        progress = [ln for ln in queued_reader.err.splitlines() if ln.startswith("waiting: ")]
        assert progress[0].startswith("waiting: alice waits to write src/ (normal priority) (")
        assert len(progress) == 1  # said once: the line changes only with the queue
        assert held_on_server(served_repo) == [("bob", "src/", "read")]
        assert carol.claim("-m", "read", "docs/").rc == 0  # elsewhere, readers go on
        assert bob.claim("-d", "src/").rc == 0
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    assert out.startswith("claimed src/ (write")
    assert remote_waiters(served_repo) == []
