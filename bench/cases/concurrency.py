"""16 agents (16 clones) claiming distinct paths at once, against 16 raw concurrent pushes."""

from __future__ import annotations

from bench.cases.claim_latency import floor_push, label
from bench.report import Results, Row, Target
from bench.timing import Plan, interleaved, timed_together
from bench.world import Transport, World

TARGET = Target("≥ 0.5x raw push rate", least=0.5)
AGENTS = 16


def run(world: World, transport: Transport, plan: Plan, results: Results) -> None:
    agents = world.remote(transport, AGENTS)
    env = agents[0].env  # each agent's identity comes from its clone's user.email

    def raw(round_no: int) -> float:
        tag = label(round_no)
        jobs = [(floor_push(a, f"{a.name}-{tag}"), a.path) for a in agents]
        return AGENTS / timed_together(jobs, env)

    def claims(round_no: int) -> float:
        tag = label(round_no)
        jobs = [(["git", "claim", f"{a.name}/{tag}.py"], a.path) for a in agents]
        return AGENTS / timed_together(jobs, env)

    raw_stat, claim_stat = interleaved([raw, claims], plan.heavy_runs, plan.warmup)
    results.add(
        Row(
            f"{AGENTS} agents claiming at once",
            transport.name,
            TARGET,
            "raw pushes",
            raw_stat,
            claim_stat,
            rate=True,
        )
    )
