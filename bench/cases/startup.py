"""Start-up: `gitcoord --version` against a bare `python -c pass` of the same interpreter."""

from __future__ import annotations

import sys

from bench.report import REPORTED_ONLY, Results, Row
from bench.timing import Plan, interleaved, timed
from bench.world import World


def run(world: World, plan: Plan, results: Results) -> None:
    cwd = world.fresh_dir("startup")

    def python(_round: int) -> float:
        return timed([sys.executable, "-c", "pass"], cwd, world.env)

    def gitcoord(_round: int) -> float:
        return timed(["gitcoord", "--version"], cwd, world.env)

    floor, tool = interleaved([python, gitcoord], plan.runs * 2, plan.warmup)
    results.add(
        Row("`gitcoord --version` start-up", "none", REPORTED_ONLY, "python -c pass", floor, tool)
    )
