"""16 agents (16 clones) claiming distinct paths at once, against 16 raw concurrent pushes."""

from __future__ import annotations

import os
import resource
from collections.abc import Callable

from bench.cases.claim_latency import floor_push, label
from bench.report import Results, Row, Target
from bench.timing import Plan, interleaved, timed_together
from bench.world import FILE, Transport, World

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

    cpu = {"raw": 0.0, "claims": 0.0}
    runs = {"raw": 0, "claims": 0}

    def counted(name: str, measure: Callable[[int], float]) -> Callable[[int], float]:
        """`measure`, adding the CPU time of every process it waited for (over file:// the
        server's receive-pack and upload-pack are among them) to cpu[name]."""

        def run_counted(round_no: int) -> float:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            value = measure(round_no)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if round_no >= 0:
                cpu[name] += (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                runs[name] += 1
            return value

        return run_counted

    raw_stat, claim_stat = interleaved(
        [counted("raw", raw), counted("claims", claims)], plan.heavy_runs, plan.warmup
    )
    if transport is FILE:
        per_push = cpu["raw"] / (runs["raw"] * AGENTS)
        per_claim = cpu["claims"] / (runs["claims"] * AGENTS)
        cores = os.cpu_count() or 1
        results.facts.append(
            f"CPU time (user + system, every process on both sides) over file://: "
            f"{per_claim * 1000:.0f} ms per `git claim`, {per_push * 1000:.0f} ms per raw push; "
            f"with {cores} cores that bounds the claim rate at {cores / per_claim:.0f}/s and "
            f"the raw push rate at {cores / per_push:.0f}/s"
        )
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
