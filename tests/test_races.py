"""Races: many agents, one remote, counted winners. Zero double grants is the requirement.

Every race runs over every transport (file, git, ssh, http, gitolite). The same-path race
always has RACERS x ROUNDS; the overlap and multi-path races, which check the audit trail and
all-or-nothing rather than the CAS, run fewer rounds over the slower transports (ssh, http,
gitolite) to keep `make test` well under 30 minutes on 2 cores.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from itertools import combinations
from pathlib import Path

import pytest

from gitcoord.core.modes import Mode, compatible
from gitcoord.core.paths import ClaimPath, overlaps
from tests.figures import median_ms, record
from tests.gitenv import Agent
from tests.racing import Racers, Want
from tests.remote_state import held_on_server, remote_claims, remote_log

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
    _overlap_rounds(racers, served_repo, transport, wants, 25 if transport in FAST else 6)


def test_pattern_race_never_two_incompatible_holders(
    racers: tuple[list[Agent], Racers], served_repo: Path, transport: str
) -> None:
    """Pattern claims racing paths, directories and each other (the issue's race round)."""
    wants = [
        Want((":(glob)src/**/*.py",)),
        Want(("src/api.py",)),
        Want((":(glob)src/*.py",), "read"),
        Want((":(glob)**/*.md",), "intent"),
        Want(("src/",), "read"),
        Want((":(glob)docs/*",)),
        Want(("docs/guide.md", ":(glob)src/db*")),
        Want((":(glob)src/a*.py",), "intent"),
    ]
    _overlap_rounds(racers, served_repo, transport, wants, 12 if transport in FAST else 4)


def _overlap_rounds(
    racers: tuple[list[Agent], Racers],
    served_repo: Path,
    transport: str,
    wants: list[Want],
    rounds: int,
) -> None:
    """Every racer claims its want at once, each round in a rotated order; the winners, the
    server's refs and the audit trail never show two incompatible holders."""
    agents, pool = racers
    total_holds = 0
    for round_no in range(rounds):
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
    print(f"\nRACE overlap {transport}: {rounds} rounds, {total_holds} grants, 0 double")
    # Progress over the run, not per round: without --wait, racers whose provisional claims
    # meet may all be refused in a round. Alone this gets 8-10 grants in 6 gitolite rounds;
    # under the whole suite's load it got 2 once, so the bound is "someone wins at all".
    assert total_holds >= 1


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


MIXED_ROUNDS = 50
CLONES = 4  # 8 racers: two sessions in each of 4 clones
MIXED_WANTS = (
    Want(("src/",)),
    Want(("src/",), "read"),
    Want(("src/api.py",)),
    Want(("src/api.py",), "read"),
    Want(("src/api.py",), "intent"),
    Want(("src/db.py",)),
    Want(("src/api.py", "docs/")),
    Want(("src/api.py", "src/db.py"), "read"),
    Want(("docs/",), "read"),
    Want(("docs/guide.md",), "intent"),
    Want(("docs/guide.md", "README.md")),
    Want(("README.md",)),
)


@pytest.fixture
def sessions(
    make_agent: Callable[[str], Agent],
) -> Iterator[tuple[list[tuple[str, str]], Racers]]:
    """8 racers over 4 clones, two sessions (GITCOORD_SESSION) per clone. In even clones both
    sessions are one agent name (only the session tells them apart), in odd ones two names."""
    workers: list[tuple[Path, dict[str, str]]] = []
    holders: list[tuple[str, str]] = []
    for c in range(CLONES):
        clone = make_agent(f"racer-{c}")
        for s in range(2):
            name = clone.name if s == 0 or c % 2 == 0 else f"racer-{c + CLONES}"
            holder = (name, f"clone{c}-session{s}")
            env = {**clone.environ(), "GITCOORD_AGENT": name, "GITCOORD_SESSION": holder[1]}
            workers.append((clone.path, env))
            holders.append(holder)
    pool = Racers(workers)
    try:
        yield holders, pool
    finally:
        pool.close()


@pytest.mark.transports("git")
def test_mixed_race_renewals_waiters_sessions_never_double_grant_or_lose_silently(
    sessions: tuple[list[tuple[str, str]], Racers],
    served_repo: Path,
    transport: str,
) -> None:
    """8 racers x 50 rounds of overlapping claims (directories and files, read, intent and
    write, multi-path), where in each round up to two holders of the last round renew or
    release while the others claim, about a third of the claims wait (up to 2 s) for a
    holder, and the racers are sessions sharing clones. After every round, from the served
    repository's refs: no claim is left provisional, no two holders hold conflicting claims,
    every racer that was told it won or renewed holds exactly the claims it was told about,
    and every racer that was refused or released holds nothing."""
    holders, pool = sessions
    rng = random.Random(20260110)
    keepers: dict[int, Want] = {}  # racers holding from the last round
    figures = dict.fromkeys(("grants", "refusals", "waiters", "waits", "waiter_grants"), 0)
    figures |= dict.fromkeys(("renewals", "releases", "double", "silent_losses"), 0)
    started = time.monotonic()
    for round_no in range(MIXED_ROUNDS):
        ops: list[tuple[str, Want | None]] = []
        wants: list[Want] = []
        for i in range(RACERS):
            if i in keepers:
                kind = "renew" if rng.random() < 0.6 else "release"
                ops.append((kind, keepers[i]))
                wants.append(keepers[i])
                continue
            want = rng.choice(MIXED_WANTS)
            if rng.random() < 0.35:
                want = Want(want.paths, want.mode, wait=2.0)
            ops.append(("claim", want))
            wants.append(want)
        reports = pool.race(ops)
        errors = [
            f"{holders[i]} {ops[i][0]}: {r.detail}"
            for i, r in enumerate(reports)
            if r.verdict == "error"
        ]
        assert not errors, "\n".join(errors)
        on_remote = remote_claims(served_repo)
        where = f"round {round_no}: {[(holders[i], ops[i], r) for i, r in enumerate(reports)]}"
        assert [c for c in on_remote if c.provisional] == [], where
        double = [(a, b) for a, b in combinations(on_remote, 2) if a.conflicts_with(b)]
        figures["double"] += len(double)
        assert double == [], f"{double} in {where}"
        by_holder: dict[tuple[str, str], set[tuple[str, str]]] = {}
        for c in on_remote:
            by_holder.setdefault((c.agent, c.session), set()).add((c.ref, c.oid))
        assert set(by_holder) <= set(holders), by_holder
        for i, report in enumerate(reports):
            kind, asked = ops[i]
            assert asked is not None
            want = asked
            has = by_holder.get(holders[i], set())
            if report.verdict in ("won", "renewed"):
                told = set(report.claims)
                kinds = {(str(c.path), c.mode.value) for c in on_remote if (c.ref, c.oid) in has}
                if has != told or kinds != {(p, want.mode) for p in want.paths}:
                    figures["silent_losses"] += 1
                assert has == told, f"racer {i} {holders[i]} told {told}, holds {has}: {where}"
                assert kinds == {(p, want.mode) for p in want.paths}, (kinds, want, where)
            else:
                assert has == set(), f"racer {i} {holders[i]} {report.verdict}, holds {has}"
            assert kind != "renew" or report.verdict == "renewed", f"renewal lost: {where}"
            if kind == "claim":
                figures["grants"] += report.verdict == "won"
                figures["refusals"] += report.verdict == "refused"
                if want.wait is not None:
                    figures["waiters"] += 1
                    figures["waits"] += report.waited
                    figures["waiter_grants"] += report.verdict == "won"
            else:
                figures["renewals" if kind == "renew" else "releases"] += 1
        # Renewers let go now; up to two of this round's winners keep their claims into the
        # next round, where they renew or release while the others race for the paths.
        pool.release([i for i in keepers if reports[i].verdict == "renewed"])
        won = [i for i, r in enumerate(reports) if r.verdict == "won"]
        kept = rng.sample(won, min(len(won), rng.choice((0, 1, 2))))
        pool.release([i for i in won if i not in kept])
        keepers = {i: Want(w.paths, w.mode) for i, w in enumerate(wants) if i in kept}
        left = {(c.agent, c.session) for c in remote_claims(served_repo)}
        assert left == {holders[i] for i in keepers}, (left, keepers)
    elapsed = time.monotonic() - started
    print(
        f"\nRACE mixed {transport}: {RACERS} racers (2 sessions x {CLONES} clones) x "
        f"{MIXED_ROUNDS} rounds, {elapsed / MIXED_ROUNDS:.2f}s/round: {figures['grants']} "
        f"grants, {figures['refusals']} refusals, {figures['waiters']} waiting claims "
        f"({figures['waits']} waited for a holder, {figures['waiter_grants']} granted), "
        f"{figures['renewals']} renewals and {figures['releases']} releases racing the claims; "
        f"{figures['double']} double grants, {figures['silent_losses']} silent losses"
    )
    assert figures["grants"] >= MIXED_ROUNDS  # progress: wait-die lets someone win
    assert figures["renewals"] > 0 and figures["waits"] > 0
