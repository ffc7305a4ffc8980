"""Start-up against a bare `python -c pass` of the same interpreter: `gitcoord --version`,
and the installed hook entry point both ways it is started: the `gitcoord-hook` console
script, and the shims' `python -S -c ...` importing what the pre-commit hook imports.

Reported beside them, never asserted (they describe the implementation, not behaviour):
how many modules each hot path imports and which of the ones measured as costly are among
them, and which git processes a claim made right after a listing starts."""

from __future__ import annotations

import json
import shlex
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import gitcoord
from bench.profile import git_subcommand
from bench.report import REPORTED_ONLY, Results, Row
from bench.timing import Plan, check, interleaved, timed
from bench.world import FILE, World
from gitcoord.core.errors import ExitCode
from gitcoord.hooks.install import launcher

# The shim's own command line, importing the pre-commit hook's modules instead of running it.
SHIM = launcher().replace(
    "from gitcoord.hooks.entry import console_main; console_main()",
    "import gitcoord.hooks.entry, gitcoord.hooks.checks",
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

    results.facts.extend(_imports(world, cwd))
    results.facts.append(_git_after_listing(world))


# Modules whose import this project once measured as costly on a hot path.
HEAVY = ("tempfile", "socket", "hashlib", "_hashlib", "tomllib", "typer", "click", "pygit2")
# What each hot path imports, with the interpreter flags its launcher uses.
HOT_PATHS: tuple[tuple[str, list[str], list[str]], ...] = (
    ("`git claim PATH`", [], ["gitcoord.cli.claim_run", "gitcoord.cli.outcome"]),
    ("the pre-commit hook (shim, `python -S`)", ["-S"], ["gitcoord.hooks.entry"]),
    ("the server hook", [], ["gitcoord.server.hook"]),
)


def _imports(world: World, cwd: Path) -> list[str]:
    """Per hot path: how many modules a fresh interpreter holds once it has imported them,
    against a bare interpreter, and which HEAVY ones are among them."""
    probe = "import importlib, json, sys; [importlib.import_module(m) for m in sys.argv[1:]]; "
    probe += "print(json.dumps(sorted(sys.modules)))"
    env = {**world.env, "PYTHONPATH": str(Path(gitcoord.__file__).parent.parent)}  # for -S
    facts = []
    for label, flags, modules in HOT_PATHS:
        bare = json.loads(check([sys.executable, *flags, "-c", probe], cwd, env))
        held = json.loads(check([sys.executable, *flags, "-c", probe, *modules], cwd, env))
        heavy = [m for m in HEAVY if m in held]
        facts.append(
            f"modules imported by {label}: {len(held) - len(bare)} over a bare interpreter's "
            f"{len(bare)}; of the ones once measured as costly: {', '.join(heavy) or 'none'}"
        )
    return facts


def _git_after_listing(world: World) -> str:
    """The git processes (by subcommand) of two claims made right after a
    listing, over file://: what a read after one's own write reads back (cat-file)."""
    agent, other = world.remote(FILE, 2)
    trace = world.fresh_dir("trace") / "trace"
    check(["git", "claim", "docs/"], other.path, other.environ())
    check(["git", "claim", "--json"], agent.path, agent.environ())
    env = {**agent.environ(), "GIT_TRACE": str(trace)}
    for path in ("bench/a.py", "bench/b.py"):
        check(["git", "claim", path], agent.path, env)
    started: Counter[str] = Counter()
    for line in trace.read_text().splitlines():
        _, found, command = line.partition("trace: built-in: ")
        name = git_subcommand(command) if found else None
        if name is not None and name != "claim":
            started[name] += 1
    listed = ", ".join(f"{name} {n}" for name, n in sorted(started.items()))
    return (
        f"git processes of two `git claim PATH` right after a listing, over file:// "
        f"(GIT_TRACE, client and server side): {listed}; cat-file: {started['cat-file']}"
    )
