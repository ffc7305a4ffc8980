"""`git commit` with gitcoord's pre-commit hook against without it: 2,000 live claims by
another agent, fresh snapshot.

The hook reads the local snapshot (no network while it is fresh), so only file:// is
measured; over SSH the figures would be the same. Each round commits one small change
three ways, interleaved: no hook (the floor), a hook that only starts this Python the way
the shim does (`python -S -c pass`, a fact, not a row), and the gitcoord pre-commit hook.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from bench import profile
from bench.report import Results, Row, Target
from bench.timing import Plan, check, interleaved, timed
from bench.world import FILE, Transport, World
from tests.gitenv import Agent

CLAIMS = 2000
TARGET = Target("≤ +60 ms median (added)", most_added=0.060)


def run(world: World, transport: Transport, plan: Plan, results: Results) -> None:
    if transport is not FILE:
        return  # the hook reads the local snapshot: the transport does not enter
    me, _ = with_held_claims(world)
    env = me.environ()
    hooks = _hook_dirs(world, me)

    def commit(hooks_dir: Path) -> Callable[[int], float]:
        def measure(round_no: int) -> float:
            (me.path / "work.txt").write_text(f"{hooks_dir.name} {round_no}\n")
            check(["git", "add", "work.txt"], me.path, env)
            argv = ["git", "-c", f"core.hooksPath={hooks_dir}", "commit", "-q", "-m", "change"]
            return timed(argv, me.path, env)

        return measure

    none, python, hook = interleaved(
        [commit(hooks["none"]), commit(hooks["python"]), commit(hooks["pre-commit"])],
        plan.runs * 2,
        plan.warmup,
    )
    results.add(
        Row(
            f"`git commit` + pre-commit hook, {CLAIMS:,} live claims, fresh snapshot (read "
            "locally: file:// only)",
            transport.name,
            TARGET,
            "no hook",
            none,
            hook,
        )
    )
    results.facts.append(
        f"`git commit` with a pre-commit hook that only runs `python -S -c pass` (the "
        f"interpreter the shim starts, no gitcoord): {_ms(python.median)} median, "
        f"+{_ms(python.median - none.median)} over no hook; the gitcoord hook "
        f"+{_ms(hook.median - none.median)}"
    )

    def staged(n: int) -> list[str]:
        (me.path / "work.txt").write_text(f"profile {n}\n")
        check(["git", "add", "work.txt"], me.path, env)
        return ["git", "-c", f"core.hooksPath={hooks['pre-commit']}", "commit", "-q", "-m", "p"]

    results.facts.append(
        profile.split(
            f"the pre-commit hook ({CLAIMS:,} live claims, fresh snapshot; git commit's own "
            "median without a hook taken off)",
            [],
            me.path,
            env,
            outer="commit",
            imports=["gitcoord.hooks.entry", "gitcoord.hooks.checks"],
            python_flags=["-S"],
            runs=plan.runs,
            prepare=staged,
            baseline=none.median,
        )
    )


def with_held_claims(world: World) -> tuple[Agent, Agent]:
    """A new remote and two clones of it over file://: `me` (main checked out) with a fresh
    snapshot of the CLAIMS claims `other` holds."""
    me, other = world.remote(FILE, 2)
    _hold_claims(other, me)
    return me, other


def _hold_claims(other: Agent, me: Agent) -> None:
    """`other` holds CLAIMS claims (one atomic claim); `me` has a fresh snapshot of them."""
    (me.path / "gitcoord.toml").write_text('[claims]\nmax_age = "1h"\n')
    (me.path / "work.txt").write_text("0\n")
    me.git("add", "gitcoord.toml", "work.txt")
    me.git("commit", "-q", "--no-verify", "-m", "bench config")
    me.git("push", "-q", "--no-verify", "origin", "HEAD:main")
    other.git("pull", "-q", "origin", "main")
    paths = [f"area{i % 20:02d}/file{i:05d}.py" for i in range(CLAIMS)]
    check(["git", "claim", "--ttl", "2h", *paths], other.path, other.environ())
    check(["gitcoord", "hooks", "install"], me.path, me.environ())
    listing = check(["git", "claim", "--json"], me.path, me.environ())  # writes the snapshot
    if listing.count(f'"agent": "{other.name}"'.encode()) != CLAIMS:
        raise RuntimeError(f"{me.name} does not see {other.name}'s {CLAIMS} claims")


def _hook_dirs(world: World, me: Agent) -> dict[str, Path]:
    """Hook directories for core.hooksPath: none, a bare interpreter start, gitcoord's."""
    installed = me.path / ".git" / "hooks" / "pre-commit"
    dirs = {name: world.fresh_dir(f"hooks-{name}") for name in ("none", "python", "pre-commit")}
    (dirs["python"] / "pre-commit").write_text(f"#!/bin/sh\nexec {sys.executable} -S -c pass\n")
    (dirs["pre-commit"] / "pre-commit").write_bytes(installed.read_bytes())
    for name in ("python", "pre-commit"):
        (dirs[name] / "pre-commit").chmod(0o755)
    return dirs


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"
