"""A push that landed although the client saw an error is recognised; nothing is half-done.

The faults are server-side hooks written into the served repository, which git runs on
receive over file:// (receive-pack is the client's child) and git:// (the daemon's) alike.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.gitenv import Agent


def _hook(repo: Path, name: str, body: str) -> None:
    hook = repo / "hooks" / name
    hook.parent.mkdir(exist_ok=True)
    hook.write_text("#!/bin/sh\n" + body)
    hook.chmod(0o755)


def test_client_killed_after_server_committed_then_retry_converges(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    repo = served_repo
    marker = repo / "landed"
    # post-receive runs after the refs are committed; the client waits for it.
    _hook(repo, "post-receive", f"touch {marker}\nsleep 30\n")
    proc = subprocess.Popen(
        ["git", "claim", "src/api.py", "src/db.py"],
        cwd=alice.path,
        env=alice.environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists()
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    (repo / "hooks" / "post-receive").unlink()

    listing = bob.claim("--json").json()["claims"]
    assert sorted((c["agent"], c["path"]) for c in listing) == [
        ("alice", "src/api.py"),
        ("alice", "src/db.py"),
    ]
    assert bob.claim("src/db.py").rc == 1
    retry = alice.claim("src/api.py", "src/db.py", "--json")
    assert retry.rc == 0, retry.err
    after = bob.claim("--json").json()["claims"]
    assert len(after) == 2
    ids_before = {c["path"]: c["id"] for c in listing}
    assert {c["path"]: c["id"] for c in after} == ids_before  # the same claims, renewed


def test_transport_error_after_commit_is_success_not_failure(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    repo = served_repo
    # Kill receive-pack after the refs are committed: the client sees a hung-up remote.
    _hook(repo, "post-receive", "kill -9 $PPID\n")
    res = alice.claim("src/api.py")
    (repo / "hooks" / "post-receive").unlink()
    assert res.rc == 0, res.err
    assert res.out.startswith("claimed src/api.py")
    assert [c["agent"] for c in bob.claim("--json").json()["claims"]] == ["alice"]


def test_push_rejected_by_server_hook_is_reported_and_nothing_lands(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    repo = served_repo
    _hook(repo, "pre-receive", "echo 'claims are frozen for the release' >&2\nexit 1\n")
    res = alice.claim("src/api.py", "docs/")
    assert res.rc == 1
    assert "the remote refused the push" in res.err
    assert "claims are frozen for the release" in res.err
    (repo / "hooks" / "pre-receive").unlink()
    assert bob.claim("--json").json()["claims"] == []


def test_unreachable_remote_exits_3(alice: Agent) -> None:
    alice.git("remote", "set-url", "origin", str(alice.path.parent / "gone.git"))
    res = alice.claim("src/api.py")
    assert res.rc == 3
    assert "cannot reach remote 'origin'" in res.err and "Traceback" not in res.err
    assert alice.claim().rc == 3


def _mirror_ref_file(agent: Agent) -> Path:
    refs = sorted((agent.path / ".git" / "refs" / "gitcoord").rglob("w/*"))
    assert refs, "no mirrored claim ref"
    return refs[0]


@pytest.mark.transports("file")
def test_lock_left_by_a_killed_fetch_on_the_mirror_is_cleared(alice: Agent, bob: Agent) -> None:
    assert alice.claim("src/api.py").rc == 0
    assert bob.claim().rc == 0  # bob mirrors alice's claim
    assert alice.claim("-d", "src/api.py").rc == 0
    lock = _mirror_ref_file(bob).with_suffix(".lock")
    lock.write_text("")  # what a git fetch killed mid-update leaves behind
    res = bob.claim("src/api.py")
    assert res.rc == 0, res.err
    assert not lock.exists()


@pytest.mark.transports("file")
def test_a_foreign_stale_lock_is_named_with_the_command_that_removes_it(
    alice: Agent, bob: Agent
) -> None:
    assert alice.claim("src/api.py").rc == 0
    assert bob.claim().rc == 0
    bob.git("pack-refs", "--all")  # pruning a packed ref rewrites packed-refs
    assert alice.claim("-d", "src/api.py").rc == 0
    lock = bob.path / ".git" / "packed-refs.lock"
    new = bob.path / ".git" / "packed-refs.new"  # what a git killed mid-rewrite leaves too
    fix = "fix: make sure no git command runs in this clone, then: rm"
    lock.write_text("")
    new.write_text("")
    res = bob.claim()
    assert res.rc == 3, (res.out, res.err)
    assert f"blocks ref updates (fetch from 'origin'): {lock}, {new}" in res.err
    assert f"{fix} {lock} {new}" in res.err
    lock.unlink()  # half the fix: the leftover temporary file alone still blocks
    res = bob.claim()
    assert res.rc == 3, (res.out, res.err)
    assert "cannot reach" not in res.err
    assert f"{fix} {new}" in res.err
    new.unlink()
    assert bob.claim().rc == 0
