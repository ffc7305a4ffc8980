"""Issue 10 case 10: ref lock files left on the server by a killed client.

Over file:// the receive-pack is a child of the pushing `git claim`, so SIGKILL of the client's
process group kills it while its reference-transaction hook runs, with the transaction's ref
locks held: `<ref>.lock` stays under refs/claims/ and refs/claims-log/, and every later push of
those refs fails. The hooks' pre-receive removes such a lock once it is older than
`gitcoord.stalelockafter` and no live transaction can own it, and logs the removal.

The window is made deterministic by a test-only line in the installed reference-transaction
shim: in state "prepared", when the pusher's environment names a marker file, it touches it
and sleeps (the ref locks are held then), so the test kills the client exactly there.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from gitcoord.core import refnames
from tests.gitenv import Agent
from tests.remote_state import held_on_server, remote_log
from tests.serverside import gitcoord_server, make_claim, write_commit
from tests.test_server_lock import OpenTransaction


def _hold_prepared(bare: Path) -> None:
    """Make the installed reference-transaction shim stop in "prepared" when asked to."""
    shim = bare / "hooks" / "reference-transaction"
    lines = shim.read_text().splitlines(keepends=True)
    hold = (
        'if [ "$1" = prepared ] && [ -n "$HOLD_PREPARED" ]; then '
        'touch "$HOLD_PREPARED"; sleep 60; fi\n'
    )
    shim.write_text("".join([*lines[:2], hold, *lines[2:]]))


def _locks(bare: Path) -> list[str]:
    return sorted(p.relative_to(bare).as_posix() for p in (bare / "refs").rglob("*.lock"))


def _kill_claim_in_prepared(agent: Agent, path: str, marker: Path) -> None:
    proc = subprocess.Popen(
        ["git", "claim", path],
        cwd=agent.path,
        env={**agent.environ(), "HOLD_PREPARED": str(marker)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    assert marker.exists(), "the claim never reached the reference-transaction hook"
    os.killpg(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL


@pytest.mark.transports("file")
def test_lock_files_of_a_killed_client_are_broken_after_the_bound_and_logged(
    served_repo: Path, alice: Agent, env: dict[str, str], tmp_path: Path
) -> None:
    bare = served_repo
    assert gitcoord_server(env, "install", str(bare)).rc == 0
    _hold_prepared(bare)
    log_ref = refnames.log_ref("alice")

    _kill_claim_in_prepared(alice, "src/api.py", tmp_path / "in-prepared")
    locks = _locks(bare)
    assert f"{log_ref}.lock" in locks
    claim_locks = [lock for lock in locks if lock.startswith(refnames.WRITE)]
    assert len(claim_locks) == 1, locks
    assert held_on_server(bare) == [] and remote_log(bare) == []

    # Within the bound (default 60 s) the locks stay: the same agent's next claim cannot land.
    blocked = alice.claim("src/api.py")
    assert blocked.rc == 3, blocked.err
    assert held_on_server(bare) == [] and remote_log(bare) == []
    assert _locks(bare) == locks

    # With a bound of 1 s, once the locks are older than that, the next claim clears them.
    subprocess.run(
        ["git", "config", "--file", str(bare / "config"), "gitcoord.stalelockafter", "1"],
        env=env,
        check=True,
    )
    time.sleep(1.1)
    ok = alice.claim("src/api.py")
    assert ok.rc == 0, ok.err
    assert held_on_server(bare) == [("alice", "src/api.py", "write")]
    assert [e.event for e in remote_log(bare) if e.event in ("claim", "release")] == ["claim"]
    assert _locks(bare) == []
    records = [
        json.loads(line)
        for line in (bare / "gitcoord" / "audit.jsonl").read_text().splitlines()
        if '"stale-lock-removed"' in line
    ]
    assert sorted(r["lock"] for r in records) == locks
    assert all(r["age_seconds"] >= 1 and r["bound_seconds"] == 1.0 for r in records)
    assert not (bare / "gitcoord" / "hook-errors.log").exists()


@pytest.mark.transports("file")
def test_a_lock_that_a_live_transaction_may_own_is_kept_until_its_owner_dies(
    served_repo: Path, alice: Agent, env: dict[str, str]
) -> None:
    bare = served_repo
    assert gitcoord_server(env, "install", str(bare)).rc == 0
    config = ["git", "config", "--file", str(bare / "config"), "gitcoord.stalelockafter", "0"]
    subprocess.run(config, env=env, check=True)
    carol = make_claim("docs/", "carol")
    held = OpenTransaction(bare, env, carol.ref, write_commit(bare, carol.message(), env))
    try:
        # carol's transaction is prepared: it holds the ref lock and the claims lock.
        assert _locks(bare) == [f"{carol.ref}.lock"]
        blocked = alice.claim("docs/")
        assert blocked.rc == 3, blocked.err
        assert _locks(bare) == [f"{carol.ref}.lock"]  # its owner lives: not stale, whatever its age
        assert held_on_server(bare) == []
    finally:
        os.kill(held.proc.pid, signal.SIGKILL)
        held.proc.wait()
    # Its owner is gone (the claims lock record names a dead process): the lock is stale.
    ok = alice.claim("docs/")
    assert ok.rc == 0, ok.err
    assert held_on_server(bare) == [("alice", "docs/", "write")]
    assert _locks(bare) == []
    audit = (bare / "gitcoord" / "audit.jsonl").read_text()
    assert f'"lock": "{carol.ref}.lock"' in audit
