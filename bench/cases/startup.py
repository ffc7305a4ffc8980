"""Start-up against a bare `python -c pass` of the same interpreter: `gitcoord --version`,
and the installed hook entry point both ways it is started: the `gitcoord-hook` console
script, and the shims' `python -S -c ...` importing what the pre-commit hook imports."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Sequence

from bench.report import REPORTED_ONLY, Results, Row
from bench.timing import Plan, interleaved, timed
from bench.world import World
from gitcoord.core.errors import ExitCode
from gitcoord.hooks.install import launcher

# The shim's own command line, importing the pre-commit hook's modules instead of running it.
SHIM = launcher().replace(
    "from gitcoord.hooks.entry import console_main; console_main()",
    "import gitcoord.hooks.entry, gitcoord.hook_checks",
)


def run(world: World, plan: Plan, results: Results) -> None:
    cwd = world.fresh_dir("startup")

    def process(argv: Sequence[str], ok: tuple[int, ...] = (0,)) -> Callable[[int], float]:
        return lambda _round: timed(argv, cwd, world.env, ok=ok)

    measures = [
        process([sys.executable, "-c", "pass"]),
        process(["gitcoord", "--version"]),
        # No hook named: a usage error (exit 2) right after the entry's imports.
        process(["gitcoord-hook"], ok=(int(ExitCode.USAGE),)),
        process(shlex.split(SHIM)),
    ]
    floor, tool, entry, shim = interleaved(measures, plan.runs * 2, plan.warmup)
    for label, stat in (
        ("`gitcoord --version` start-up", tool),
        ("`gitcoord-hook` (console script) start-up", entry),
        ("hook shim start-up: `python -S`, pre-commit imports", shim),
    ):
        results.add(Row(label, "none", REPORTED_ONLY, "python -c pass", floor, stat))
