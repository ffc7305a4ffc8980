"""One all-or-nothing claim of 1,000 paths against a one-path claim (released after each)."""

from __future__ import annotations

from bench.report import Results, Row, Target
from bench.timing import Plan, check, interleaved, timed
from bench.world import Transport, World

TARGET = Target("≤ 3x one-path claim", most=3.0)
PATHS = 1000


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

    one_stat, many_stat = interleaved([one, many], plan.heavy_runs, plan.warmup)
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
