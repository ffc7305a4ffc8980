"""The reference-transaction safety net: a repository-wide claims lock held across states.

pre-receive checks before any ref is locked, so two pushes can both pass it; these tests
hold a transaction open between "prepared" and "commit" with `git update-ref --stdin` on
the server and show that a concurrent claim waits for it and is then refused, and that the
lock of a transaction whose process died does not block anyone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gitcoord.core import refnames
from gitcoord.server.txlock import LockTimeout, Owner, TransactionLock
from tests.gitenv import Agent
from tests.serverside import gitcoord_server, make_claim, write_commit


@pytest.fixture
def served(served_repo: Path, env: dict[str, str]) -> Path:
    bare = served_repo
    assert gitcoord_server(env, "install", str(bare)).rc == 0
    return bare


class OpenTransaction:
    """`git update-ref --stdin` in the server repository, stopped between prepare and commit."""

    def __init__(self, bare: Path, env: dict[str, str], ref: str, oid: str) -> None:
        self.proc = subprocess.Popen(
            ["git", "update-ref", "--stdin"],
            cwd=bare,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self._say("start") == "start: ok"
        self._write(f"create {ref} {oid}")
        assert self._say("prepare") == "prepare: ok"

    def _write(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def _say(self, command: str) -> str:
        self._write(command)
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def commit(self) -> None:
        assert self._say("commit") == "commit: ok"
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        assert self.proc.wait(timeout=60) == 0


def _wait_for(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def _claim_in_background(agent: Agent, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["git", "claim", *args],
        cwd=agent.path,
        env=agent.environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_concurrent_overlapping_claim_waits_for_the_open_transaction_then_is_refused(
    served: Path, alice: Agent, bob: Agent, env: dict[str, str]
) -> None:
    carol = make_claim("src/", "carol", reason="big refactor")
    oid = write_commit(served, carol.message(), env)
    held = OpenTransaction(served, env, carol.ref, oid)
    lock = TransactionLock(served / "gitcoord", Owner.of(held.proc.pid))
    assert lock.holder() == Owner.of(held.proc.pid)

    proc = _claim_in_background(bob, "src/api.py")
    # Bob's push passed pre-receive (carol's ref is not visible yet) and now holds its own
    # ref lock while its reference-transaction hook waits for the claims lock.
    bob_ref = refnames.WRITE + refnames.path_key("src/api.py")
    _wait_for(served / (bob_ref + ".lock"))
    time.sleep(1.0)
    assert proc.poll() is None, "the overlapping claim did not wait for the open transaction"

    held.commit()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert "src/ is claimed by carol (write, expires in" in err
    listing = alice.claim("--json").json()["claims"]
    assert [(c["agent"], c["path"]) for c in listing] == [("carol", "src/")]


def test_a_dead_transactions_lock_does_not_block(
    served: Path, alice: Agent, env: dict[str, str]
) -> None:
    carol = make_claim("docs/", "carol")
    held = OpenTransaction(served, env, carol.ref, write_commit(served, carol.message(), env))
    os.kill(held.proc.pid, signal.SIGKILL)
    held.proc.wait()
    # The dead transaction never committed; its record is stale and is broken.
    res = alice.claim("src/api.py")
    assert res.rc == 0, res.err
    assert not (served / "gitcoord" / "claims-tx.lock").exists()


def test_lock_is_reentrant_for_its_owner_and_times_out_for_others(tmp_path: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        other = TransactionLock(tmp_path, Owner.of(sleeper.pid))
        other.acquire(1)
        other.acquire(1)  # the same transaction again (e.g. a nested packed-refs one)
        me = TransactionLock(tmp_path, Owner.of(os.getpid()))
        with pytest.raises(LockTimeout) as raised:
            me.acquire(0.3)
        assert raised.value.holder == Owner.of(sleeper.pid)
        assert me.release() is False  # not mine to release
        assert other.release() is True
        me.acquire(1)
        assert me.holder() == Owner.of(os.getpid())
    finally:
        sleeper.kill()
        sleeper.wait()
    # A record naming a process that is gone is stale.
    stale = TransactionLock(tmp_path, Owner.of(sleeper.pid))
    (tmp_path / "claims-tx.lock").write_text(Owner(sleeper.pid, "1").render())
    TransactionLock(tmp_path, Owner(os.getpid(), "x")).acquire(0.5)
    assert stale.holder() == Owner(os.getpid(), "x")
