"""Listing 5,000 live claims (`git claim --json`) against the prefix fetch floor.

Two floors, two rows: *warm* (the reader fetched before; the fetch only learns that
nothing changed), which is what an agent pays on every listing; and *cold* (a new
repository with nothing fetched, so the fetch downloads every claim object).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from bench import profile
from bench.cases.claim_latency import CLAIM_IMPORTS
from bench.report import Results, Row, Target
from bench.timing import BenchError, Plan, check, interleaved, timed
from bench.world import FILE, Transport, World, remote_url

TARGET = Target("≤ 1.5x fetch floor", most=1.5)
WRITERS = 5
PATHS_EACH = 1000
LIVE = WRITERS * PATHS_EACH
FETCH = ["git", "fetch", "--no-tags", "--prune", "origin", "+refs/claims/*:refs/x/*"]
LIST = ["git", "claim", "--json"]


def _populated(world: World) -> Path:
    """One bare remote with LIVE claims, made once (over file://) and read over every transport."""
    if "listing" not in world.shared:
        bare = world.bare()
        for n, writer in enumerate(world.clones(bare, FILE, WRITERS)):
            paths = [f"area-{n}/{k // 100}/file-{k}.py" for k in range(PATHS_EACH)]
            check(["git", "claim", "--ttl", "1d", *paths], writer.path, writer.environ())
        # As a hosting server does now and then; also keeps the clean-up quick.
        check(["git", "pack-refs", "--all"], bare, world.env)
        world.shared["listing"] = bare
    return world.shared["listing"]


def run(world: World, transport: Transport, plan: Plan, results: Results) -> None:
    (reader,) = world.clones(_populated(world), transport, 1, stem="reader")
    env = reader.environ()
    url = remote_url(reader)

    def listed(cwd_out: bytes) -> None:
        count = len(json.loads(cwd_out)["claims"])
        if count != LIVE:
            raise BenchError(f"the listing showed {count} claims, expected {LIVE}")

    listed(check(LIST, reader.path, env))

    def warm_floor(_round: int) -> float:
        return timed(FETCH, reader.path, env)

    def warm_list(_round: int) -> float:
        return timed(LIST, reader.path, env)

    def cold(argv: list[str]) -> float:
        repo = world.empty_repo(url)
        spent = timed(argv, repo, env)
        shutil.rmtree(repo)  # 5,000 loose refs each: do not leave them all to the end
        return spent

    stats = interleaved([warm_floor, warm_list], plan.heavy_runs, plan.warmup)
    # A cold run has nothing to warm up (and each costs a new repository).
    stats += interleaved([lambda _: cold(FETCH), lambda _: cold(LIST)], plan.heavy_runs, 0)
    name = f"list {LIVE:,} live claims"
    results.add(
        Row(f"{name}, warm", transport.name, TARGET, "fetch, up to date", stats[0], stats[1])
    )
    if transport is FILE:
        results.facts.append(
            profile.split(
                f"`git claim --json` with {LIVE:,} live claims, warm, over file://",
                LIST,
                reader.path,
                env,
                outer="claim",
                imports=CLAIM_IMPORTS,
                runs=plan.heavy_runs,
            )
        )
    results.add(
        Row(f"{name}, cold", transport.name, TARGET, "fetch into new repo", stats[2], stats[3])
    )
