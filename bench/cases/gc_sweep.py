"""`gitcoord gc` of 10,000 expired claims against one raw push of 10,000 deletes.

The claims (one-hour leases, ten agents of 1,000 paths) are written once; every round starts
from a copy of that remote. The sweeper's clone lists them (untimed: it has seen them, as
a scheduled sweeper has), and its clock then runs two days ahead (tests/fastclock.py), so
each claim is expired by both halves of the rule without waiting. Floor: `git push
--atomic --no-verify origin :REF...` of the same 10,000 refs from another clone, on its
own fresh copy, in the same rounds.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from bench.report import Results, Row, Target
from bench.timing import BenchError, Plan, check, interleaved, timed
from bench.world import FILE, Transport, World
from gitcoord.core import refnames
from gitcoord.core.claim import Claim, new_nonce
from gitcoord.core.modes import Mode
from gitcoord.core.paths import ClaimPath
from gitcoord.git.objects import write_commits
from tests.fastclock import run_ahead

TARGET = Target("≤ 1.5x one raw push of the deletes", most=1.5)
WRITERS = 10
PATHS_EACH = 1000
CLAIMS = WRITERS * PATHS_EACH
AHEAD = 2 * 86400


def _populated(world: World) -> Path:
    """A bare remote holding CLAIMS one-hour write claims of WRITERS agents, made once:
    written as `git claim` writes them (the same objects, by gitcoord's own writer) and
    put in place by one ref transaction, since claiming them one push at a time would take
    minutes (a push's cost grows with the refs already there)."""
    if "gc" not in world.shared:
        bare = world.bare()
        world.clones(bare, FILE, 1, stem="seeder")  # seeds main
        now = time.time()
        claims = [
            Claim(
                id=os.urandom(6).hex(),
                path=ClaimPath.parse_stored(f"area-{n}/{k // 100}/file-{k}.py"),
                mode=Mode.WRITE,
                agent=f"writer-{n}",
                host="bench",
                worktree=f"/bench/writer-{n}",
                session=f"{n:012x}",
                reason="",
                ttl=3600,
                created_at=now,
                expires_at=now + 3600,
                priority_at=now,
                nonce=new_nonce(),
            )
            for n in range(WRITERS)
            for k in range(PATHS_EACH)
        ]
        oids = write_commits(bare, [c.message() for c in claims])
        refs = "".join(
            f"create {refnames.claim_ref(c.path.key, c.mode, c.agent, c.session)} {oid}\n"
            for c, oid in zip(claims, oids, strict=True)
        )
        check(["git", "update-ref", "--stdin"], bare, world.env, stdin=refs.encode())
        check(["git", "pack-refs", "--all"], bare, world.env)  # as a hosting server keeps it
        world.shared["gc"] = bare
    return world.shared["gc"]


def _claim_refs(bare: Path, env: dict[str, str]) -> list[str]:
    out = check(["git", "for-each-ref", "--format=%(refname)", "refs/claims/"], bare, env)
    return out.decode().split()


def run(world: World, transport: Transport, plan: Plan, results: Results) -> None:
    template = _populated(world)
    refs = _claim_refs(template, world.env)
    if len(refs) != CLAIMS:
        raise BenchError(f"the remote holds {len(refs)} claims, expected {CLAIMS}")
    home = world.fresh_dir("gc-remotes")
    sweeper_remote, floor_remote = home / "sweep.git", home / "floor.git"
    for bare in (sweeper_remote, floor_remote):
        shutil.copytree(template, bare, symlinks=True)
    (sweeper,) = world.clones(sweeper_remote, transport, 1, stem="sweeper")
    (pusher,) = world.clones(floor_remote, transport, 1, stem="pusher")
    seeing = sweeper.environ()
    run_ahead(sweeper, world.fresh_dir("gc-clock"), AHEAD)
    sweeping = sweeper.environ()
    push_env = pusher.environ()

    def fresh(bare: Path) -> None:
        shutil.rmtree(bare)
        shutil.copytree(template, bare, symlinks=True)

    def swept(bare: Path) -> None:
        left = _claim_refs(bare, world.env)
        if left:
            raise BenchError(f"{len(left)} claim refs left on {bare} after the sweep")

    def floor(_round: int) -> float:
        fresh(floor_remote)
        spent = timed(
            ["git", "push", "--atomic", "--no-verify", "-q", "origin", *(":" + r for r in refs)],
            pusher.path,
            push_env,
        )
        swept(floor_remote)
        return spent

    def gc(_round: int) -> float:
        fresh(sweeper_remote)
        listed = check(["git", "claim", "--json"], sweeper.path, seeing)  # seen now, real clock
        if len(json.loads(listed)["claims"]) != CLAIMS:
            raise BenchError(f"the sweeper does not list {CLAIMS} claims")
        spent = timed(["gitcoord", "gc"], sweeper.path, sweeping)
        swept(sweeper_remote)
        return spent

    # No warm-up: a round takes minutes, and each starts from a fresh copy anyway.
    floor_stat, gc_stat = interleaved([floor, gc], plan.heavy_runs, 0)
    results.add(
        Row(
            f"`gitcoord gc` of {CLAIMS:,} expired claims",
            transport.name,
            TARGET,
            f"raw push of {CLAIMS:,} deletes",
            floor_stat,
            gc_stat,
        )
    )
