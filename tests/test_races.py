"""Races: many agents, one remote, counted winners. Zero double grants is the requirement.

Every race runs over every transport (file, git, ssh, http, gitolite). The same-path race
always has RACERS x ROUNDS; the overlap and multi-path races, which check the audit trail and
all-or-nothing rather than the CAS, run fewer rounds over the slower transports (ssh, http,
gitolite) to keep `make test` well under 30 minutes on 2 cores.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from itertools import combinations
from pathlib import Path

import pytest

from gitcoord.modes import Mode, compatible
from gitcoord.paths import ClaimPath, overlaps
from tests.figures import median_ms, record
from tests.gitenv import Agent
from tests.racing import Racers, Want
from tests.remote_state import held_on_server, remote_log

RACERS = 8
ROUNDS = 50
FAST = ("file", "git")
# ssh and gitolite rounds cost several seconds on a loaded 2-core machine
pytestmark = [pytest.mark.every_transport, pytest.mark.timeout(1500)]


@pytest.fixture
def racers(make_agent: Callable[[str], Agent]) -> Iterator[tuple[list[Agent], Racers]]:
    agents = [make_agent(f"racer-{i}") for i in range(RACERS)]
    pool = Racers([(a.path, a.environ()) for a in agents])
    try:
        yield agents, pool
    finally:
        pool.close()


def _incompatible(a: tuple[str, str], b: tuple[str, str]) -> bool:
    pa, pb = ClaimPath.parse_stored(a[0]), ClaimPath.parse_stored(b[0])
    return overlaps(pa, pb) and not compatible(Mode(a[1]), Mode(b[1]))


def _held_per_audit(repo: Path, since: float) -> list[tuple[str, str, str]]:
    """(agent, path, mode) held per the audit trail: claimed after `since`, not retracted."""
    state: dict[tuple[str, str, str], int] = {}
    for e in remote_log(repo):
        if e.at < since:
            continue
        for c in e.claims:
            key = (c["agent"], c["path"], c["mode"])
            if e.event == "claim":
                state[key] = state.get(key, 0) + 1
            elif e.event in ("retract", "release"):
                state[key] = state.get(key, 0) - 1
    return sorted(k for k, v in state.items() if v > 0)


def test_same_path_race_one_winner_every_round(
    racers: tuple[list[Agent], Racers],
    served_repo: Path,
    transport: str,
    pytestconfig: pytest.Config,
) -> None:
    agents, pool = racers
    winners_per_round = []
    started = time.monotonic()
    for _ in range(ROUNDS):
        verdicts = pool.round([Want(("src/api.py",))] * RACERS)
        errors = [d for v, d in verdicts if v == "error"]
        assert not errors, errors[0]
        won = [i for i, (v, _) in enumerate(verdicts) if v == "won"]
        winners_per_round.append(len(won))
        assert len(won) == 1, verdicts
        assert held_on_server(served_repo) == [(agents[won[0]].name, "src/api.py", "write")]
        for _i, (v, detail) in enumerate(verdicts):
            if v == "refused":
                assert f"claimed by {agents[won[0]].name}" in detail, detail
        pool.release(won)
    elapsed = time.monotonic() - started
    winners = sorted(set(winners_per_round))
    print(
        f"\nRACE same-path {transport}: {RACERS} racers x {ROUNDS} rounds, "
        f"winners per round {winners}, {elapsed / ROUNDS:.2f}s/round"
    )
    root = pytestconfig.rootpath
    record(root, transport, "winners", winners)
    record(root, transport, "rounds", f"{RACERS}x{ROUNDS}, {elapsed / ROUNDS:.2f}s/round")
    record(root, transport, "race_claim_ms", median_ms(pool.claim_seconds))


def test_overlapping_race_never_two_incompatible_holders(
    racers: tuple[list[Agent], Racers], served_repo: Path, transport: str
) -> None:
    agents, pool = racers
    overlap_rounds = 25 if transport in FAST else 6
    wants = [
        Want(("src/",)),
        Want(("src/api.py",)),
        Want(("src/api.py",), "read"),
        Want(("src/api.py",), "intent"),
        Want(("src/",), "read"),
        Want(("src/db.py",)),
        Want(("src/api.py", "docs/")),
        Want(("docs/guide.md",), "intent"),
    ]
    total_holds = 0
    for round_no in range(overlap_rounds):
        since = time.time() - 0.001
        order = wants[round_no % RACERS :] + wants[: round_no % RACERS]
        verdicts = pool.round(order)
        assert not [d for v, d in verdicts if v == "error"], verdicts
        held = [
            (agents[i].name, p, order[i].mode)
            for i, (v, _) in enumerate(verdicts)
            if v == "won"
            for p in order[i].paths
        ]
        total_holds += len({h[0] for h in held})
        for a, b in combinations(held, 2):
            assert a[0] == b[0] or not _incompatible(a[1:], b[1:]), (a, b)
        live = held_on_server(served_repo)
        assert live == sorted(held), (live, held)
        for a, b in combinations(live, 2):
            assert a[0] == b[0] or not _incompatible(a[1:], b[1:]), (a, b)
        audit = _held_per_audit(served_repo, since)
        assert audit == sorted(held), (audit, held)
        pool.release([i for i, (v, _) in enumerate(verdicts) if v == "won"])
    print(f"\nRACE overlap {transport}: {overlap_rounds} rounds, {total_holds} grants, 0 double")
    assert total_holds >= overlap_rounds // 2  # progress: wait-die lets someone win


def test_multi_path_all_or_nothing_against_a_racer(
    racers: tuple[list[Agent], Racers], served_repo: Path, transport: str
) -> None:
    """One racer claims many paths at once while others each grab one of them."""
    agents, pool = racers
    many = tuple(f"src/m{i}.py" for i in range(20))
    for round_no in range(20 if transport in FAST else 5):
        wants = [Want(many)] + [Want((many[(round_no * 3 + i) % 20],)) for i in range(RACERS - 1)]
        verdicts = pool.round(wants)
        assert not [d for v, d in verdicts if v == "error"], verdicts
        by_agent: dict[str, set[str]] = {}
        for agent, path, _ in held_on_server(served_repo):
            by_agent.setdefault(agent, set()).add(path)
        multi = by_agent.get(agents[0].name, set())
        assert multi in (set(), set(many)), f"partial multi-path claim: {sorted(multi)}"
        if verdicts[0][0] == "won":
            assert multi == set(many) and len(by_agent) == 1
        else:
            assert multi == set()
        pool.release([i for i, (v, _) in enumerate(verdicts) if v == "won"])


@pytest.mark.transports("file")
def test_snapshot_cache_written_by_listing(alice: Agent) -> None:
    assert alice.claim("src/api.py").rc == 0
    snap = next((alice.path / ".git" / "gitcoord").glob("snapshot-*.json"))
    data = json.loads(snap.read_text())
    assert [c["path"] for c in data["claims"]] == ["src/api.py"]
