"""One all-or-nothing claim of 1,000 paths against a one-path claim (released after each).

For scale, the same ratio for raw git is measured too: one atomic push of 1,000 new refs
(distinct commits, leased on 'must not exist') plus a prefix fetch, against one ref.
"""

from __future__ import annotations

from pathlib import Path

from bench import profile
from bench.cases.claim_latency import CLAIM_IMPORTS
from bench.report import Results, Row, Target
from bench.timing import Plan, check, interleaved, timed
from bench.world import FILE, Transport, World
from gitcoord.git.objects import write_commits
from tests.gitenv import Agent

TARGET = Target("≤ 3x one-path claim", most=3.0)
PATHS = 1000
RAW_RUNS = 2  # for scale only, not a row of the table
FETCH = ["git", "fetch", "--no-tags", "--prune", "origin", "+refs/raw/*:refs/x/raw/*"]


def run(world: World, transport: Transport, plan: Plan, results: Results) -> None:
    (agent,) = world.remote(transport, 1)
    env = agent.environ()
    release = ["git", "claim", "-d", "--all"]

    def one(_round: int) -> float:
        spent = timed(["git", "claim", "single/path.py"], agent.path, env)
        check(release, agent.path, env)
        return spent

    def many(_round: int) -> float:
        paths = [f"many/{n // 100}/file-{n}.py" for n in range(PATHS)]
        spent = timed(["git", "claim", *paths], agent.path, env)
        check(release, agent.path, env)
        return spent

    # No warm-up round: each round's one-path claim warms the clone for its 1,000-path claim.
    one_stat, many_stat = interleaved([one, many], plan.heavy_runs, 0)
    results.add(
        Row(
            f"one claim of {PATHS:,} paths",
            transport.name,
            TARGET,
            "1-path claim",
            one_stat,
            many_stat,
        )
    )
    if transport is FILE:

        def fresh_claim(n: int) -> list[str]:
            check(release, agent.path, env)  # untimed: prepare runs before the clock starts
            return ["git", "claim", *(f"split/{n}/{k // 100}/file-{k}.py" for k in range(PATHS))]

        results.facts.append(
            profile.split(
                f"one claim of {PATHS:,} paths over file://",
                [],
                agent.path,
                env,
                outer="claim",
                imports=CLAIM_IMPORTS,
                runs=plan.heavy_runs,
                prepare=fresh_claim,
            )
        )
        check(release, agent.path, env)
    raw_one, raw_many = interleaved(
        [lambda r: _raw(agent, 1, r), lambda r: _raw(agent, PATHS, r)], RAW_RUNS, 0
    )
    results.facts.append(
        f"raw git over {transport.name}: one atomic push of {PATHS:,} new refs plus a fetch "
        f"took {raw_many.median:.2f} s, of one ref {raw_one.median:.2f} s "
        f"({raw_many.median / raw_one.median:.1f}x; medians of {RAW_RUNS})"
    )


def _raw(agent: Agent, count: int, round_no: int) -> float:
    """Push `count` new refs (each its own commit) atomically, fetch them; then delete them."""
    oids = write_commits(Path(agent.path) / ".git", [f"raw {round_no} {n}\n" for n in range(count)])
    refs = [f"refs/raw/{round_no}/{n}" for n in range(count)]
    env = agent.environ()
    push = ["git", "push", "--atomic", "--porcelain"]
    create = [f"--force-with-lease={ref}:" for ref in refs]
    spent = timed(
        [*push, *create, "origin", *(f"{o}:{r}" for o, r in zip(oids, refs, strict=True))],
        agent.path,
        env,
    )
    spent += timed(FETCH, agent.path, env)
    check([*push, "origin", *(f":{r}" for r in refs)], agent.path, env)
    return spent
