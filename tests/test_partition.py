"""Several hosts, one partition: a server host and three agent hosts (network namespaces), each
agent running the real CLI from its own clone over ssh. Alice's link is cut while everyone is
claiming and renewing, then healed.

While cut, alice's commands exit 3 naming the remote and the cause, and the others keep
claiming. Her claim expires and bob takes it over. After the heal, alice's next renew or
release exits 1 naming bob: a lost claim is never silent.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.gitenv import agent_env
from tests.servers import NetnsLab, ServerUnavailable
from tests.servers.fixtures import unavailable

HOSTS = ("alice", "bob", "carol")
TTL = "6s"


@dataclass
class Host:
    name: str
    lab: NetnsLab
    clone: Path
    env: dict[str, str]

    def run(self, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return self.lab.run(self.name, argv, env=self.env, cwd=self.clone, timeout=timeout)

    def claim(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run("git", "claim", *args)


@dataclass
class Outcome:
    started: float
    ended: float
    rc: int
    err: str


@pytest.fixture
def hosts(tmp_path: Path) -> Iterator[dict[str, Host]]:
    try:
        lab_cm = NetnsLab(HOSTS)
        lab = lab_cm.__enter__()
    except ServerUnavailable as exc:
        unavailable(exc)
    try:
        with lab.sshd() as server:
            url = server.create_repo("team")
            made: dict[str, Host] = {}
            for name in HOSTS:
                env = {**agent_env(server, name), "GITCOORD_AGENT": name}
                clone = tmp_path / name
                res = lab.run(name, ["git", "clone", "-q", url, str(clone)], env=env)
                assert res.returncode == 0, res.stderr
                made[name] = Host(name, lab, clone, env)
                if name == "alice":
                    _seed(made[name])
                else:
                    assert made[name].run("git", "pull", "-q", "origin", "main").returncode == 0
            yield made
    finally:
        lab_cm.__exit__(None, None, None)


def _seed(host: Host) -> None:
    (host.clone / "src").mkdir()
    for rel in ("src/api.py", "src/db.py", "docs/guide.md"):
        (host.clone / rel).parent.mkdir(exist_ok=True)
        (host.clone / rel).write_text(f"{rel}\n")
    (host.clone / "gitcoord.toml").write_text('[claims]\nclock_skew = "1s"\n')
    for argv in (
        ("git", "add", "-A"),
        ("git", "commit", "-q", "--no-verify", "-m", "seed"),
        ("git", "push", "-q", "--no-verify", "origin", "HEAD:main"),
    ):
        res = host.run(*argv)
        assert res.returncode == 0, res.stderr


def _loop(host: Host, args: list[list[str]], stop: threading.Event, out: list[Outcome]) -> None:
    i = 0
    while not stop.is_set():
        started = time.monotonic()
        res = host.claim(*args[i % len(args)])
        out.append(Outcome(started, time.monotonic(), res.returncode, res.stderr))
        i += 1
        time.sleep(0.2)


def _until(condition: Callable[[], bool], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_cut_agent_fails_closed_others_continue_lost_claim_is_reported(
    hosts: dict[str, Host],
) -> None:
    alice, bob, carol = hosts["alice"], hosts["bob"], hosts["carol"]
    lab = alice.lab
    assert alice.claim("src/api.py", "--ttl", TTL).returncode == 0
    assert bob.claim("docs/").returncode == 0

    stop = threading.Event()
    renewals: list[Outcome] = []
    others: list[Outcome] = []
    loops = [
        threading.Thread(
            target=_loop, args=(alice, [["--renew", "src/api.py", "--ttl", TTL]], stop, renewals)
        ),
        threading.Thread(
            target=_loop,
            args=(carol, [["src/db.py"], ["--renew"], ["-d", "src/db.py"]], stop, others),
        ),
    ]
    for th in loops:
        th.start()
    try:
        _until(lambda: any(o.rc == 0 for o in renewals) and bool(others))
        cut_at = time.monotonic()
        lab.cut("alice")
        # bob queues for alice's file: it frees when her lease (renewed until the cut) lapses
        took = bob.claim("--wait=60s", "src/api.py")
        assert took.returncode == 0, took.stderr
        assert "took over src/api.py from alice" in took.stdout
        _until(lambda: any(o.started > cut_at for o in renewals))
    finally:
        stop.set()
        for th in loops:
            th.join(timeout=120)
    healed_at = time.monotonic()
    lab.heal("alice")

    before = [o for o in renewals if o.ended < cut_at]
    during = [o for o in renewals if o.started > cut_at and o.ended < healed_at]
    assert before and all(o.rc == 0 for o in before), [o.err for o in before]
    assert during, "alice ran no command while cut"
    for o in during:
        assert o.rc == 3, o.err
        assert "cannot reach remote 'origin'" in o.err, o.err
        assert "Network is unreachable" in o.err, o.err
    assert all(o.rc in (0, 3) for o in renewals), [o.err for o in renewals]
    others_during = [o for o in others if o.started > cut_at and o.ended < healed_at]
    assert others_during and all(o.rc == 0 for o in others_during), [o.err for o in others]

    # After the heal: the next renew and release name the new holder. Never silent.
    # her heartbeat (`--renew`, all of mine) first, then the explicit commands
    renew_all = alice.claim("--renew")
    assert renew_all.returncode == 1, (renew_all.stdout, renew_all.stderr)
    assert (
        "your claim on src/api.py was lost (taken over by bob after it expired): "
        "src/api.py is claimed by bob" in renew_all.stderr
    )
    renew = alice.claim("--renew", "src/api.py")  # the loss was reported: now simply not held
    assert renew.returncode == 1, renew.stderr
    assert "you hold no claim on src/api.py; it is held by bob (write," in renew.stderr
    release = alice.claim("-d", "src/api.py")
    assert release.returncode == 1, release.stderr
    assert "you hold no claim on src/api.py; it is held by bob" in release.stderr
    listing = alice.claim("--json")
    assert listing.returncode == 0
    print(
        f"\nPARTITION: alice cut for {healed_at - cut_at:.1f}s; {len(during)} of her commands "
        f"exited 3 while cut; {len(others_during)} of carol's succeeded meanwhile; bob took "
        "src/api.py; alice's renew and release after the heal exited 1 naming bob"
    )
