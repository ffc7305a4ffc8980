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

    cpu = BusyCpu()
    raw_stat, claim_stat = interleaved(
        [cpu.counted("raw", raw), cpu.counted("claims", claims)], plan.heavy_runs, plan.warmup
    )
    if busy_cpu_seconds() > 0:
        per_push = cpu.per_run("raw") / AGENTS
        per_claim = cpu.per_run("claims") / AGENTS
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


class BusyCpu:
    """The machine's busy CPU time while each named measure ran, over the recorded rounds:
    every process on both sides (sshd's too), and whatever else runs (see the load
    average)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.runs: dict[str, int] = {}

    def counted(self, name: str, measure: Callable[[int], float]) -> Callable[[int], float]:
        def run_counted(round_no: int) -> float:
            before = busy_cpu_seconds()
            value = measure(round_no)
            if round_no >= 0:
                self.seconds[name] = self.seconds.get(name, 0.0) + busy_cpu_seconds() - before
                self.runs[name] = self.runs.get(name, 0) + 1
            return value

        return run_counted

    def per_run(self, name: str) -> float:
        return self.seconds[name] / self.runs[name]


def busy_cpu_seconds() -> float:
    """Seconds all CPUs have spent busy since boot (/proc/stat); 0 where it is unreadable."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(v) for v in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")
