"""Concurrent overlapping claims against a remote with gitcoord's server hooks.

Six `git claim` processes (the real CLI) start together each round: some want the
directory src/, some the file src/api.py inside it, in write, read or intent mode. The
server serialises claim transactions under its claims lock, so whatever the interleaving,
a fresh listing after every round must hold no two incompatible claims of different
holders, every process that reported success must hold its claim, and no loser may.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from itertools import combinations
from pathlib import Path

import pytest

from gitcoord.core.modes import Mode, compatible
from gitcoord.core.paths import ClaimPath, overlaps
from tests.gitenv import Agent
from tests.serverside import gitcoord_server, make_claim, write_commit

RACERS = 6
# More rounds over git daemon (concurrent receive-packs behind a network server) than over
# file://; both sized to keep `make test` within 30 minutes on two shared cores (~3-15 s a
# round over git; 50 rounds took 4.5 minutes of a 26-minute run once the suite grew).
ROUNDS = {"git": 30, "file": 10}
# (path, mode) per racer; rotated every round so each agent plays every part.
PARTS = [
    ("src/", "write"),
    ("src/api.py", "write"),
    ("src/api.py", "read"),
    ("src/", "read"),
    ("src/api.py", "intent"),
    ("src/", "write"),
]


def _incompatible(a: dict[str, str], b: dict[str, str]) -> bool:
    pa, pb = ClaimPath.parse_stored(a["path"]), ClaimPath.parse_stored(b["path"])
    return (
        a["agent"] != b["agent"]
        and overlaps(pa, pb)
        and not compatible(Mode(a["mode"]), Mode(b["mode"]))
    )


def _clear_claims(bare: Path, env: dict[str, str]) -> None:
    refs = subprocess.run(
        ["git", "for-each-ref", "--format=delete %(refname)", "refs/claims/"],
        cwd=bare,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    subprocess.run(
        ["git", "update-ref", "--stdin"], cwd=bare, env=env, input=refs, text=True, check=True
    )


@pytest.mark.timeout(1500)
def test_overlapping_claims_never_leave_two_incompatible_holders(
    served_repo: Path,
    transport: str,
    env: dict[str, str],
    make_agent: Callable[[str], Agent],
) -> None:
    bare = served_repo
    assert gitcoord_server(env, "install", str(bare)).rc == 0
    agents = [make_agent(f"racer-{i}") for i in range(RACERS)]
    winners: Counter[int] = Counter()
    outcomes: Counter[str] = Counter()
    rounds = ROUNDS[transport]
    started = time.monotonic()
    for round_no in range(rounds):
        parts = PARTS[round_no % RACERS :] + PARTS[: round_no % RACERS]
        procs = [
            subprocess.Popen(
                ["git", "claim", "-m", mode, path, "--json"],
                cwd=a.path,
                env=a.environ(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for a, (path, mode) in zip(agents, parts, strict=True)
        ]
        results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in procs]
        for rc, err in results:
            assert rc in (0, 1), err
            assert "Traceback" not in err
        won = [
            (a.name, *part)
            for a, part, (rc, _) in zip(agents, parts, results, strict=True)
            if rc == 0
        ]
        winners[len(won)] += 1
        outcomes[" + ".join(sorted(f"{m} {p}" for _, p, m in won))] += 1

        listing = agents[0].claim("--json").json()["claims"]
        for a, b in combinations(listing, 2):
            assert not _incompatible(a, b), f"round {round_no}: double grant {a} / {b}"
        held = sorted((c["agent"], c["path"], c["mode"]) for c in listing)
        assert held == sorted(won), f"round {round_no}: reported {won}, listed {held}"
        assert won, f"round {round_no}: nobody won"
        _clear_claims(bare, env)
    per_round = (time.monotonic() - started) / rounds
    print(
        f"\nSERVER RACE {transport}: {RACERS} x `git claim` x {rounds} rounds, "
        f"winners per round {dict(sorted(winners.items()))}, {per_round:.2f}s/round; "
        f"winning sets {dict(outcomes.most_common())}"
    )


# Raw pushes of claim objects: no client protocol (no read-after-write, no retraction), so
# only the server stands between these pushes and a double grant.
RAW_ROUNDS = {"git": 30, "file": 20}
RAW_PARTS = [
    ("src/", "write"),
    ("src/api.py", "write"),
    ("src/db.py", "write"),
    ("src/", "read"),
    ("src/api.py", "read"),
    ("src/api.py", "intent"),
]


def _server_claims(bare: Path, env: dict[str, str]) -> list[dict[str, str]]:
    out = subprocess.run(
        ["git", "for-each-ref", "--format=%(refname)", "refs/claims/"],
        cwd=bare,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    claims = []
    for ref in out:
        msg = subprocess.run(
            ["git", "log", "-1", "--format=%B", ref],
            cwd=bare,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        data = json.loads(msg.partition("\n\n")[2])
        claims.append({"agent": data["agent"], "path": data["path"], "mode": data["mode"]})
    return claims


@pytest.mark.timeout(1200)
def test_raw_conflicting_claim_pushes_never_both_land(
    served_repo: Path,
    transport: str,
    env: dict[str, str],
    make_agent: Callable[[str], Agent],
) -> None:
    bare = served_repo
    assert gitcoord_server(env, "install", str(bare)).rc == 0
    agents = [make_agent(f"raw-{i}") for i in range(len(RAW_PARTS))]
    landed: Counter[int] = Counter()
    rounds = RAW_ROUNDS[transport]
    for round_no in range(rounds):
        shift = round_no % len(RAW_PARTS)
        parts = RAW_PARTS[shift:] + RAW_PARTS[:shift]
        pushes = []
        for agent, (path, mode) in zip(agents, parts, strict=True):
            claim = make_claim(path, agent.name, mode=mode)
            oid = write_commit(agent.path / ".git", claim.message(), env)
            pushes.append(["git", "push", "--porcelain", "origin", f"{oid}:{claim.ref}"])
        procs = [
            subprocess.Popen(
                cmd,
                cwd=a.path,
                env=a.environ(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for a, cmd in zip(agents, pushes, strict=True)
        ]
        for p in procs:
            p.communicate(timeout=300)
        listing = _server_claims(bare, env)
        for a, b in combinations(listing, 2):
            assert not _incompatible(a, b), f"round {round_no}: double grant {a} / {b}"
        assert listing, f"round {round_no}: nothing landed"
        landed[len(listing)] += 1
        _clear_claims(bare, env)
    print(
        f"\nSERVER RAW RACE {transport}: {len(RAW_PARTS)} raw pushes x "
        f"{rounds} rounds, claims landed per round {dict(sorted(landed.items()))}"
    )
