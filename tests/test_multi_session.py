"""Issue 10 case 9: many agent sessions in one clone.

Several agents share one checkout (different GITCOORD_AGENT / GITCOORD_SESSION in the same
clone), the seeds' normal case. Their fetches and pushes update the same mirror refs under
refs/gitcoord/<remote>/; a local ref-lock race ("cannot lock ref ... is at X but expected Y",
"Unable to create ....lock") must never be reported as exit 3 "cannot reach remote" while the
remote is fine. 12 agents (6 clones x 2 sessions) churn claim/release on paths of their own,
concurrently: every command exits 0, and the remote's refs are consistent after every round
and at the end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from tests.gitenv import Agent, Result
from tests.remote_state import held_on_server, remote_claims, remote_log

CLONES = 6
SESSIONS = 2
ROUNDS = 2


@pytest.mark.transports("file")
def test_sessions_sharing_clones_never_misreport_a_local_lock_race(
    make_agent: Callable[[str], Agent], served_repo: Path
) -> None:
    agents: list[Agent] = []
    for c in range(CLONES):
        first = make_agent(f"racer-{c}")
        for s in range(SESSIONS):
            agents.append(
                replace(
                    first,
                    name=f"racer-{c}-s{s}",
                    extra={"GITCOORD_SESSION": f"clone{c}-session{s}"},
                )
            )
    results: list[tuple[str, str, Result]] = []
    lock = threading.Lock()

    def churn(agent: Agent, barrier: threading.Barrier) -> None:
        path = f"work/{agent.name}.py"
        barrier.wait()
        for step in ("claim", "release"):
            res = agent.claim(path) if step == "claim" else agent.claim("-d", path)
            with lock:
                results.append((agent.name, step, res))

    for round_no in range(ROUNDS):
        barrier = threading.Barrier(len(agents))
        threads = [threading.Thread(target=churn, args=(a, barrier)) for a in agents]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=120)
        failed = [(n, s, r.rc, r.err) for n, s, r in results if r.rc != 0]
        assert failed == [], f"round {round_no}: {failed}"
        assert held_on_server(served_repo) == []
    assert len(results) == ROUNDS * len(agents) * 2
    assert not any(r.rc == 3 for _, _, r in results)
    assert remote_claims(served_repo) == []
    log = remote_log(served_repo)
    kinds = ("claim", "release")  # (a protocol may log more steps in between)
    per_agent = {
        a.name: [e.event for e in log if e.agent == a.name and e.event in kinds] for a in agents
    }
    assert per_agent == {a.name: ["claim", "release"] * ROUNDS for a in agents}
