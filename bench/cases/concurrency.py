"""16 agents (16 clones) claiming distinct paths at once, against 16 raw concurrent pushes."""

from __future__ import annotations

import os
from collections.abc import Callable

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

    cpu = {"raw": 0.0, "claims": 0.0}
    runs = {"raw": 0, "claims": 0}

    def counted(name: str, measure: Callable[[int], float]) -> Callable[[int], float]:
        """`measure`, adding the machine's busy CPU time during it to cpu[name]: every
        process on both sides (sshd's too), and whatever else runs (see the load average)."""

        def run_counted(round_no: int) -> float:
            before = busy_cpu_seconds()
            value = measure(round_no)
            if round_no >= 0:
                cpu[name] += busy_cpu_seconds() - before
                runs[name] += 1
            return value

        return run_counted

    raw_stat, claim_stat = interleaved(
        [counted("raw", raw), counted("claims", claims)], plan.heavy_runs, plan.warmup
    )
    if busy_cpu_seconds() > 0:
        per_push = cpu["raw"] / (runs["raw"] * AGENTS)
        per_claim = cpu["claims"] / (runs["claims"] * AGENTS)
        cores = os.cpu_count() or 1
        results.facts.append(
            f"CPU time over {transport.name} in the 16-agent case (the machine's busy time "
            f"while each ran, /proc/stat): {per_claim * 1000:.0f} ms per `git claim`, "
            f"{per_push * 1000:.0f} ms per raw push; on {cores} cores that bounds the claim "
            f"rate at {cores / per_claim:.1f}/s and the raw push rate at {cores / per_push:.1f}/s"
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


def busy_cpu_seconds() -> float:
    """Seconds all CPUs have spent busy since boot (/proc/stat); 0 where it is unreadable."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(v) for v in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")
