"""What the pre-commit hook adds to `git commit`, with 2,000 live claims and a fresh snapshot.

    python bench/hook_overhead.py [--claims 2000] [--runs 21]

Another agent holds 2,000 claims (one atomic multi-path `git claim`); I list them once,
which writes the snapshot, and `[claims] max_age` is long enough that every commit uses it.
Each round commits one small change three ways, interleaved so load spikes hit all alike:
no hooks, the pre-commit hook alone, and pre-commit + commit-msg (all gitcoord commit hooks).
Prints medians and the hook entry's import time. Never asserts times (brief §7).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    res = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(args[:4])} failed ({res.returncode}): {res.stderr}")
    return res.stdout


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GITCOORD_"))}
    env.update(
        HOME=str(home),
        GIT_CONFIG_NOSYSTEM="1",
        TZ="UTC",
        LC_ALL="C",
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    home.mkdir(parents=True, exist_ok=True)
    (home / ".gitconfig").write_text(
        "[init]\n\tdefaultBranch = main\n[user]\n\tname = bench\n\temail = bench@example.com\n"
    )
    return env


def setup(root: Path, claims: int) -> tuple[Path, dict[str, str]]:
    env = environment(root / "home")
    # pip writes .pyc files when it installs gitcoord; an editable checkout under
    # PYTHONDONTWRITEBYTECODE=1 would otherwise recompile every module on every commit.
    package = Path(__file__).resolve().parent.parent / "gitcoord"
    run([sys.executable, "-m", "compileall", "-q", str(package)], root, env)
    run(["git", "init", "-q", "--bare", str(root / "team.git")], root, env)
    url = (root / "team.git").as_uri()
    for name in ("other", "me"):
        run(["git", "clone", "-q", url, str(root / name)], root, env)
    me, other = root / "me", root / "other"
    (me / "gitcoord.toml").write_text('[claims]\nmax_age = "1h"\n')
    (me / "work.txt").write_text("0\n")
    run(["git", "add", "-A"], me, env)
    run(["git", "commit", "-q", "--no-verify", "-m", "seed"], me, env)
    run(["git", "push", "-q", "--no-verify", "origin", "HEAD:main"], me, env)
    run(["git", "pull", "-q", "origin", "main"], other, env)
    paths = [f"area{i % 20:02d}/file{i:05d}.py" for i in range(claims)]
    run(["git", "claim", "--ttl", "2h", *paths], other, {**env, "GITCOORD_AGENT": "other"})

    mine = {**env, "GITCOORD_AGENT": "me"}
    run(["gitcoord", "hooks", "install"], me, mine)
    listing = run(["git", "claim", "--json"], me, mine)  # writes the snapshot
    assert listing.count('"agent": "other"') == claims, "claims not all visible"
    hooks = me / ".git" / "hooks"
    (root / "hooks-none").mkdir()
    (root / "hooks-pc").mkdir()
    (root / "hooks-floor").mkdir()
    (root / "hooks-pc" / "pre-commit").write_bytes((hooks / "pre-commit").read_bytes())
    # The floor: a hook that only starts this Python the way the shims do (-S), no gitcoord.
    (root / "hooks-floor" / "pre-commit").write_text(
        f"#!/bin/sh\nexec {sys.executable} -S -c pass\n"
    )
    for d in ("hooks-pc", "hooks-floor"):
        (root / d / "pre-commit").chmod(0o755)
    return me, mine


def commit_time(me: Path, env: dict[str, str], hooks_dir: Path, n: int) -> tuple[float, float]:
    """Wall-clock and CPU (user + system of all child processes) seconds of one commit."""
    (me / "work.txt").write_text(f"{n}\n")
    run(["git", "add", "work.txt"], me, env)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    run(["git", "-c", f"core.hooksPath={hooks_dir}", "commit", "-q", "-m", f"change {n}"], me, env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def import_ms(env: dict[str, str], module: str, *flags: str) -> float:
    """Total import time of `module` (sum of -X importtime self times), in ms."""
    root = Path(__file__).resolve().parent.parent
    code = f"import sys; sys.path.insert(0, {str(root)!r}); import {module}"
    res = subprocess.run(
        [sys.executable, *flags, "-X", "importtime", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    total = 0
    for line in res.stderr.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            total += int(line.split("|")[0].split(":")[1])
    return total / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=21)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gitcoord-bench-") as tmp:
        t0 = time.perf_counter()
        me, env = setup(Path(tmp), opts.claims)
        print(
            f"setup: {opts.claims} live claims by another agent in {time.perf_counter() - t0:.1f}s"
        )
        names = {
            "none": Path(tmp) / "hooks-none",
            "floor": Path(tmp) / "hooks-floor",
            "pre-commit": Path(tmp) / "hooks-pc",
            "all": me / ".git" / "hooks",
        }
        walls: dict[str, list[float]] = {k: [] for k in names}
        cpus: dict[str, list[float]] = {k: [] for k in names}
        n = 0
        for _ in range(opts.runs):
            for key, path in names.items():
                n += 1
                wall, cpu = commit_time(me, env, path, n)
                walls[key].append(wall)
                cpus[key].append(cpu)
        print(f"git commit, median of {opts.runs} (wall-clock ms | CPU ms, user+system):")
        base_w = statistics.median(walls["none"]) * 1000
        base_c = statistics.median(cpus["none"]) * 1000
        for key, label in (
            ("none", "no hooks"),
            ("floor", "hook = `python -S -c pass`"),
            ("pre-commit", "gitcoord pre-commit hook"),
            ("all", "pre-commit + commit-msg"),
        ):
            w = statistics.median(walls[key]) * 1000
            c = statistics.median(cpus[key]) * 1000
            print(
                f"  {label:<30} {w:7.1f} ms (+{w - base_w:5.1f}) | {c:6.1f} ms (+{c - base_c:5.1f})"
            )
        print(f"  load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        runs = 7
        hook = "gitcoord.hook_entry, gitcoord.hook_checks"  # what the pre-commit hook imports
        for module, flags in (
            (hook, ("-S",)),
            ("gitcoord.cli.main", ()),
            ("typer", ()),
            ("pygit2", ()),
        ):
            ms = statistics.median(import_ms(env, module, *flags) for _ in range(runs))
            print(f"import {module:<42} {' '.join(flags):<3} {ms:6.1f} ms (median of {runs})")


if __name__ == "__main__":
    main()
