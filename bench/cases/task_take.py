"""`gitcoord task take` against its floor: one prefix fetch of the task refs plus one atomic
leased push moving a pending task's ref to running (what a take cannot do without)."""

from __future__ import annotations

import sys

from bench import profile
from bench.cases.claim_latency import label
from bench.report import Results, Row, Target
from bench.task_queue import TASKS_FETCH, Spec, move_push, next_commit, populate
from bench.timing import Plan, Stat, interleaved, timed
from bench.world import FILE, Transport, World

TARGET = Target("≤ 1.3x floor", most=1.3)
DONE = 50  # finished tasks on the remote besides the ones taken: a queue that has run a while
FLOOR_POOL = "bench-floor"  # the floor's own tasks: in a pool, so a plain take never picks them
# What `gitcoord task take` imports on its lean route (cli/entry.py).
TAKE_IMPORTS = ["gitcoord.cli.entry", "gitcoord.cli.direct_commands", "gitcoord.cli.task_run"]


def through_typer(*argv: str) -> list[str]:
    """The command as it ran before its lean route: parsed by the typer app (main.run)."""
    code = "import sys; from gitcoord.cli import main; "
    code += "sys.exit(main.run(main.app, sys.argv[1:], 'gitcoord'))"
    return [sys.executable, "-c", code, *argv]


def typer_fact(what: str, transport: Transport, lean: Stat, typer: Stat) -> str:
    return (
        f"{what} over {transport.name} through typer (main.run, the route it took before "
        f"its lean one), interleaved with the row's runs: {_ms(typer.median)} median against "
        f"{_ms(lean.median)} on the lean route ({_ms(typer.median - lean.median)} saved)"
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def run(world: World, transport: Transport, plan: Plan, results: Results) -> None:
    (agent,) = world.remote(transport, 1)
    env = agent.environ()
    rounds = plan.warmup + plan.runs + (plan.runs if transport is FILE else 0)  # + profile
    specs = [Spec(f"done-{n}", "done") for n in range(DONE)]
    specs += [Spec(f"take-{n:03d}", "pending") for n in range(2 * rounds)]  # 2 routes
    specs += [Spec(f"floor-{n:03d}", "pending", FLOOR_POOL) for n in range(rounds)]
    oids = populate(agent, specs)
    floors = iter(sorted(k for k in oids if k.startswith("floor-")))

    def floor(round_no: int) -> float:
        task_id = next(floors)
        new = next_commit(agent, oids[task_id], label(round_no))  # before the clock starts
        push = move_push(task_id, "pending", oids[task_id], "running", new)
        return timed(TASKS_FETCH, agent.path, env) + timed(push, agent.path, env)

    def take(_round: int) -> float:
        return timed(["gitcoord", "task", "take"], agent.path, env)

    def typer_take(_round: int) -> float:
        return timed(through_typer("task", "take"), agent.path, env)

    floor_stat, take_stat, typer_stat = interleaved(
        [floor, take, typer_take], plan.runs, plan.warmup
    )
    results.add(
        Row("`gitcoord task take`", transport.name, TARGET, "fetch + push", floor_stat, take_stat)
    )
    results.facts.append(typer_fact("`gitcoord task take`", transport, take_stat, typer_stat))
    if transport is FILE:
        results.facts.append(
            profile.split(
                f"one `gitcoord task take` over file:// ({DONE} done tasks on the remote)",
                ["gitcoord", "task", "take"],
                agent.path,
                env,
                outer="gitcoord",
                imports=TAKE_IMPORTS,
                runs=plan.runs,
            )
        )
