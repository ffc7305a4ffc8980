"""One `gitcoord watch --once` frame (plain text: stdout is a pipe) of 5,000 live claims and
1,000 tasks, against the floor of one fetch of every prefix a frame shows (claims, the audit
logs, tasks, pool slots) when the reader is up to date."""

from __future__ import annotations

import shutil
from pathlib import Path

from bench import profile
from bench.cases import listing
from bench.cases.task_take import through_typer, typer_fact
from bench.report import Results, Row, Target
from bench.task_queue import Spec, populate
from bench.timing import BenchError, Plan, check, interleaved, timed
from bench.world import FILE, Transport, World

TARGET = Target("≤ 1.5x fetch floor", most=1.5)
MIX = {"done": 600, "pending": 300, "running": 80, "failed": 20}  # 1,000 tasks
TASKS = sum(MIX.values())
PREFIXES = ("refs/claims/", "refs/claims-log/", "refs/tasks/", "refs/task-slots/")
FETCH = [
    "git",
    "fetch",
    "--no-tags",
    "--prune",
    "origin",
    *(f"+{p}*:refs/x/{p[len('refs/') :]}*" for p in PREFIXES),
]
WATCH = ["gitcoord", "watch", "--once"]
WATCH_IMPORTS = ["gitcoord.cli.entry", "gitcoord.cli.direct_commands", "gitcoord.cli.watch_run"]


def _populated(world: World) -> Path:
    """A copy of the listing case's remote (5,000 claims by five agents) with 1,000 tasks
    added; made once, read over every transport."""
    if "watch" not in world.shared:
        bare = world.fresh_dir("remote") / "team.git"
        shutil.copytree(listing._populated(world), bare, symlinks=True)
        (writer,) = world.clones(bare, FILE, 1, stem="tasker")
        specs = [Spec(f"{state}-{n:04d}", state) for state, k in MIX.items() for n in range(k)]
        populate(writer, specs)
        check(["git", "pack-refs", "--all"], bare, world.env)
        world.shared["watch"] = bare
    return world.shared["watch"]


def run(world: World, transport: Transport, plan: Plan, results: Results) -> None:
    (reader,) = world.clones(_populated(world), transport, 1, stem="watcher")
    env = reader.environ()
    frame = check(WATCH, reader.path, env).decode()
    want = f"claims ({listing.LIVE} live)", f"tasks running ({MIX['running']} running"
    if not all(w in frame for w in want):
        raise BenchError(f"the frame does not show {want}:\n{frame[:2000]}")

    def floor(_round: int) -> float:
        return timed(FETCH, reader.path, env)

    def watch(_round: int) -> float:
        return timed(WATCH, reader.path, env)

    def typer_watch(_round: int) -> float:
        return timed(through_typer(*WATCH[1:]), reader.path, env)

    floor_stat, watch_stat, typer_stat = interleaved(
        [floor, watch, typer_watch], plan.heavy_runs, plan.warmup
    )
    results.add(
        Row(
            f"`gitcoord watch --once`, {listing.LIVE:,} live claims and {TASKS:,} tasks, warm",
            transport.name,
            TARGET,
            "fetch of its prefixes, up to date",
            floor_stat,
            watch_stat,
        )
    )
    frame_once = "a `gitcoord watch --once` frame"
    results.facts.append(typer_fact(frame_once, transport, watch_stat, typer_stat))
    if transport is FILE:
        results.facts.append(
            profile.split(
                f"one `gitcoord watch --once` frame ({listing.LIVE:,} claims, {TASKS:,} "
                "tasks, warm) over file://",
                WATCH,
                reader.path,
                env,
                outer="gitcoord",
                imports=WATCH_IMPORTS,
                runs=plan.heavy_runs,
            )
        )
