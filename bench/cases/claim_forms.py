"""Every form of `git claim` against the plain `git claim PATH`, interleaved in one run.

All forms are parsed by the fast route (cli/direct.py), so none should pay typer's import.
Each timed command acts on one path while the clone holds no other claim: a form that needs
a claim (`--renew`, `-d`) gets one made before its clock starts, and every claim a form
made is released after its clock stops, so the forms compare at the same state. Only over
file://, where the interpreter's start is the largest share of a claim.
`--wait=1s`, not `--wait 1s`: like git's optional values, `--wait 1s PATH` would wait
forever for a path named 1s as well.
"""

from __future__ import annotations

from collections.abc import Callable

from bench.report import REPORTED_ONLY, Results, Row
from bench.timing import Plan, check, interleaved, timed
from bench.world import FILE, Transport, World

PLAIN: tuple[str, list[str]] = ("git claim PATH", [])
# (label, the arguments before PATH); `--renew` names no path.
FORMS = [
    ("git claim -r why PATH", ["-r", "why"]),
    ("git claim -m read PATH", ["-m", "read"]),
    ("git claim --ttl 30m PATH", ["--ttl", "30m"]),
    ("git claim --wait=1s PATH", ["--wait=1s"]),
    ("git claim --renew", ["--renew"]),
    ("git claim -d PATH", ["-d"]),
]


def run(world: World, transport: Transport, plan: Plan, results: Results) -> None:
    if transport is not FILE:
        return
    (agent,) = world.remote(transport, 1)
    env = agent.environ()

    def git_claim(*args: str) -> list[str]:
        return ["git", "claim", *args]

    def measure(index: int, before: list[str]) -> Callable[[int], float]:
        def once(round_no: int) -> float:
            path = f"bench/forms-{index}-{round_no + plan.warmup}.py"
            if before in (["--renew"], ["-d"]):
                check(git_claim(path), agent.path, env)
            argv = git_claim(*before) if before == ["--renew"] else git_claim(*before, path)
            seconds = timed(argv, agent.path, env)
            if before != ["-d"]:
                check(git_claim("-d", path), agent.path, env)
            return seconds

        return once

    forms = [PLAIN, *FORMS]
    measures = [measure(i, before) for i, (_, before) in enumerate(forms)]
    stats = interleaved(measures, plan.runs, plan.warmup)
    plain, others = stats[0], stats[1:]
    slowest = max(range(len(others)), key=lambda i: others[i].median)
    label = FORMS[slowest][0]
    results.add(
        Row(
            f"slowest `git claim` form over the plain one (`{label}`)",
            transport.name,
            REPORTED_ONLY,
            "`git claim PATH`",
            plain,
            others[slowest],
        )
    )
    medians = ", ".join(
        f"`{name}` {stat.median * 1000:.0f} ms"
        for (name, _), stat in zip(forms, stats, strict=True)
    )
    results.facts.append(
        f"`git claim` forms over file://, medians of {plan.runs} interleaved runs: {medians}"
    )
