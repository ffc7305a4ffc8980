"""`git claim PATH` against its floor: one atomic leased push plus one prefix fetch."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench import profile
from bench.report import Results, Row, Target
from bench.timing import Plan, check, interleaved, timed
from bench.world import FILE, Transport, World, commit_object
from tests.gitenv import Agent

TARGET = Target("≤ 1.3x floor", most=1.3)
# What `git claim PATH` and `git claim --json` import (gitcoord/cli/entry.py's lean route).
CLAIM_IMPORTS = [
    "gitcoord.cli.entry",
    "gitcoord.cli.claim_run",
    "gitcoord.cli.claim_listing",
    "gitcoord.cli.outcome",
]
FETCH_FLOOR = ["git", "fetch", "--no-tags", "--prune", "origin", "+refs/claims/*:refs/x/*"]


def floor_push(agent: Agent, label: str) -> list[str]:
    """The floor's push: a fresh commit to a new ref, leased on 'must not exist', atomic."""
    oid = commit_object(agent, label)
    ref = f"refs/bench-floor/{label}"
    return [
        "git",
        "push",
        "--atomic",
        "--porcelain",
        f"--force-with-lease={ref}:",
        "origin",
        f"{oid}:{ref}",
    ]


def label(round_no: int) -> str:
    return f"r{round_no}" if round_no >= 0 else f"w{-round_no}"


def run(world: World, transport: Transport, plan: Plan, results: Results) -> None:
    (agent,) = world.remote(transport, 1)
    env = agent.environ()

    def floor(round_no: int) -> float:
        push = floor_push(agent, label(round_no))  # commit written before the clock starts
        return timed(push, agent.path, env) + timed(FETCH_FLOOR, agent.path, env)

    def claim(round_no: int) -> float:
        return timed(["git", "claim", f"bench/{label(round_no)}.py"], agent.path, env)

    floor_stat, claim_stat = interleaved([floor, claim], plan.runs, plan.warmup)
    results.add(
        Row("`git claim PATH`", transport.name, TARGET, "push + fetch", floor_stat, claim_stat)
    )
    if transport is FILE:
        results.facts.append(_process_count(agent, world.root / "trace"))
        results.facts.append(
            profile.split(
                "one `git claim PATH` over file://",
                [],
                agent.path,
                env,
                outer="claim",
                imports=CLAIM_IMPORTS,
                runs=plan.runs,
                prepare=lambda n: ["git", "claim", f"bench/profile-{n}.py"],
            )
        )
        in_process = _claims_in_one_process(agent, plan.runs)
        results.facts.append(
            f"one claim made by a process that has already started and imported (what a "
            f"resident helper would pay, less its client): {in_process * 1000:.1f} ms median "
            f"of {plan.runs} claims in one Python process over file://; the floor here: "
            f"{floor_stat.median * 1000:.1f} ms"
        )


# Claims in a loop in one interpreter, each with a fresh Context (repository, config and
# identity read again): the per-claim cost with the interpreter's start and the imports gone.
_IN_PROCESS = """
import contextlib, io, json, statistics, sys, time
from gitcoord.cli.claim_run import run_claim
spent = []
for n in range(int(sys.argv[1])):
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        run_claim(paths=[f"bench/in-process-{n}.py"])
    spent.append(time.perf_counter() - start)
print(json.dumps(statistics.median(spent)))
"""


def _claims_in_one_process(agent: Agent, runs: int) -> float:
    out = check([sys.executable, "-c", _IN_PROCESS, str(runs)], agent.path, agent.environ())
    seconds: float = json.loads(out)
    return seconds


def _process_count(agent: Agent, trace: Path) -> str:
    """How many git processes one claim starts, against the floor's (GIT_TRACE, file://)."""

    def count(argvs: list[list[str]]) -> int:
        trace.unlink(missing_ok=True)
        for argv in argvs:
            timed(argv, agent.path, {**agent.environ(), "GIT_TRACE": str(trace)})
        return sum("trace: built-in: git " in ln for ln in trace.read_text().splitlines())

    floor = count([floor_push(agent, "trace"), FETCH_FLOOR])
    tool = count([["git", "claim", "bench/trace.py"]])
    return (
        f"git processes for one `git claim PATH` over file://, client and server side "
        f"(GIT_TRACE): {tool}; for the floor (push + fetch): {floor}"
    )
