"""Leases: expiry only after expires_at + clock skew, takeover, and lost claims never silent."""

from __future__ import annotations

import time
from pathlib import Path

from gitcoord.core.timeutil import from_iso
from tests.fastclock import run_ahead
from tests.gitenv import Agent


def _sleep_until(at: float) -> None:
    time.sleep(max(0.0, at - time.time()))


def _skew(agent: Agent, skew: str) -> None:
    agent.set_policy(f'[claims]\nclock_skew = "{skew}"\n')


def test_expiry_waits_for_skew_then_takeover_and_lost_claim_errors(
    alice: Agent, bob: Agent, tmp_path: Path
) -> None:
    skew = 60.0  # far longer than any CLI call: the refusal below falls inside it on every run
    for agent in (alice, bob):
        _skew(agent, "60s")
    made = alice.claim("src/api.py", "--ttl", "1s", "--json")
    assert made.rc == 0, made.err
    assert bob.claim().rc == 0  # bob sees the claim now: its lease runs from here for him
    expires = from_iso(made.json()["claimed"][0]["expires_at"])
    _sleep_until(expires + 0.3)  # expired on alice's clock, but within the skew allowance
    within = bob.claim("src/api.py")
    assert within.rc == 1 and "claimed by alice" in within.err, within.err
    assert "expired" in within.err
    # Rather than wait out the skew, bob's clock jumps past it: past his own sighting plus
    # the 1 s lease plus the skew, and past alice's expiry plus the skew.
    run_ahead(bob, tmp_path / "bob-clock", skew + 5)
    taken = bob.claim("src/api.py", "-r", "alice went quiet")
    assert taken.rc == 0, taken.err
    assert "took over src/api.py from alice" in taken.out

    renew = alice.claim("--renew", "src/api.py")
    assert renew.rc == 1
    assert (
        "your claim on src/api.py was lost (taken over by bob after it expired): "
        "src/api.py is claimed by bob" in renew.err
    )
    release = alice.claim("-d", "src/api.py")
    assert release.rc == 1 and "it is held by bob (write," in release.err
    assert alice.claim("--renew").out == "nothing renewed: you hold no claims\n"

    log = bob.gitcoord("log", "src/api.py", "--json").json()["entries"]
    assert [(e["event"], e["agent"]) for e in log] == [
        ("claim", "alice"),
        ("claim", "bob"),
        ("grant", "bob"),
    ]
    assert bob.claim().rc == 0
    assert log[1]["previous"][0]["agent"] == "alice"


def test_renewing_a_lapsed_claim_that_was_superseded_fails(alice: Agent, bob: Agent) -> None:
    for agent in (alice, bob):
        _skew(agent, "0s")
    assert alice.claim("src/", "--ttl", "1s").rc == 0
    assert bob.claim().rc == 0  # bob's own observation of the lease starts here
    time.sleep(1.3)
    assert bob.claim("src/api.py").rc == 0  # different ref: alice's lapsed src/ is not taken
    renew = alice.claim("--renew")
    assert renew.rc == 1
    assert "had expired and was superseded" in renew.err and "claimed by bob" in renew.err
    live = [(c["agent"], c["path"]) for c in bob.claim("--json").json()["claims"]]
    assert live == [("bob", "src/api.py")]


def test_renew_extends_the_lease(alice: Agent) -> None:
    first = alice.claim("src/api.py", "--ttl", "5m", "--json").json()["claimed"][0]
    renewed = alice.claim("--renew", "--ttl", "3h", "--json").json()["renewed"][0]
    assert renewed["id"] == first["id"] and renewed["expires_at"] > first["expires_at"]
    assert renewed["ttl"] == 3 * 3600


def test_wait_queues_until_released(alice: Agent, bob: Agent) -> None:
    import subprocess

    assert alice.claim("src/api.py").rc == 0
    waiter = subprocess.Popen(
        ["git", "claim", "--wait=60s", "src/api.py"],
        cwd=bob.path,
        env=bob.environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(2.0)
    assert waiter.poll() is None, "bob should still be waiting"
    assert alice.claim("-d", "src/api.py").rc == 0
    out, err = waiter.communicate(timeout=60)
    assert waiter.returncode == 0, err
    assert "waiting: src/api.py is claimed by alice" in err
    assert out.startswith("claimed src/api.py")


def test_wait_gives_up_at_its_deadline(alice: Agent, bob: Agent) -> None:
    assert alice.claim("src/").rc == 0
    res = bob.claim("--wait=2s", "src/db.py")
    assert (
        res.rc == 1
        and "gave up waiting: src/db.py is inside src/: src/ is claimed by alice" in res.err
    )


def test_break_is_recorded_and_can_be_forbidden(alice: Agent, bob: Agent) -> None:
    assert alice.claim("src/api.py").rc == 0
    bob.set_policy("[claims]\nallow_break = false\n")
    forbidden = bob.claim("--break", "src/api.py", "-r", "stuck")
    assert forbidden.rc == 1 and "allow_break = false" in forbidden.err
    bob.set_policy(None)
    broke = bob.claim("--break", "src/api.py", "-r", "alice's session crashed")
    assert broke.rc == 0 and "broke alice's write claim on src/api.py" in broke.out
    assert bob.claim("--json").json()["claims"] == []
    entry = bob.gitcoord("log", "--json").json()["entries"][-1]
    assert entry["event"] == "break" and entry["reason"] == "alice's session crashed"
    assert entry["previous"][0]["agent"] == "alice"
    lost = alice.claim("--renew")  # the heartbeat: never silent about a lost claim
    assert lost.rc == 1, lost.out
    assert (
        'your claim on src/api.py was lost (broken by bob: "alice\'s session crashed")' in lost.err
    )
    again = alice.claim("--renew", "src/api.py")  # reported once; then simply not held
    assert again.rc == 1 and "you hold no claim on src/api.py" in again.err
