"""Where one command's time goes: interpreter start, imports, each git process, the rest.

A split is measured, not estimated: the command runs with GIT_TRACE_PERFORMANCE, which
times every git process it starts; the interpreter start is `python -c pass` of the same
interpreter, and the imports are the command's own modules imported in a bare interpreter,
less that start. What is left is gitcoord's own Python work. Medians over the runs; the
trace itself costs a little, so the parts add up to slightly more than an untraced run.
"""

from __future__ import annotations

import re
import shlex
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from bench import installed
from bench.timing import check

_LINE = re.compile(r"performance: (\d+\.\d+) s: git command: (.*)$")
_SERVER_SIDE = ("git-receive-pack", "git-upload-pack", "/")  # nested in a push or fetch


def git_subcommand(command: str) -> str | None:
    """'push' for `git -c a=b push ...`; None for a server-side or nested process."""
    if command.startswith(_SERVER_SIDE):
        return None
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    words = words[1:]  # "git"
    while words and words[0].startswith("-"):
        takes_value = words[0] in ("-c", "-C", "--git-dir", "--work-tree")
        words = words[2:] if takes_value else words[1:]
    return words[0] if words else None


def traced_git(trace: Path, outer: str) -> tuple[dict[str, float], int]:
    """Seconds per git subcommand started by the traced command (its own `git outer`
    wrapper left out), and how many processes that was."""
    spent: dict[str, float] = defaultdict(float)
    count = 0
    for line in trace.read_text().splitlines():
        m = _LINE.search(line)
        if not m:
            continue
        name = git_subcommand(m.group(2))
        if name is None or name == outer:
            continue
        spent[name] += float(m.group(1))
        count += 1
    return spent, count


def _median_seconds(run: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def split(
    label: str,
    argv: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    *,
    outer: str,
    imports: Sequence[str],
    python_flags: Sequence[str] = (),
    runs: int = 5,
    prepare: Callable[[int], Sequence[str]] | None = None,
    baseline: float = 0.0,
    stdin: bytes | None = None,
) -> str:
    """One line for the report: `label`'s wall time and its parts.

    `prepare(n)` may return a fresh argv for run n (new paths to claim); `baseline` is time
    in the traced command that is not gitcoord's (git commit's own work, for a hook); `stdin`
    is fed to each traced run (a hook payload)."""
    python = [sys.executable, *python_flags]
    interpreter = _median_seconds(lambda: check([*python, "-c", "pass"], cwd, env), runs)
    code = "import " + ", ".join(imports)
    if "-S" in python_flags:  # as the hook shim does: gitcoord found by its sys.path entry
        root = installed.package_root()
        code = f"import sys; sys.path.insert(0, {root!r}); {code}"
    imported = _median_seconds(lambda: check([*python, "-c", code], cwd, env), runs)
    totals: list[float] = []
    per_git: dict[str, list[float]] = defaultdict(list)
    counts: list[int] = []
    trace = cwd.parent / f".trace-{cwd.name}"
    for n in range(runs):
        trace.unlink(missing_ok=True)
        run_argv = list(prepare(n)) if prepare else list(argv)
        start = time.perf_counter()
        proc = subprocess.run(
            run_argv,
            cwd=cwd,
            env={**env, "GIT_TRACE_PERFORMANCE": str(trace)},
            input=stdin,
            capture_output=True,
        )
        totals.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise RuntimeError(f"{shlex.join(run_argv)} failed: {proc.stderr.decode()[-500:]}")
        spent, count = traced_git(trace, outer)
        counts.append(count)
        for name in set(per_git) | set(spent):
            per_git[name].append(spent.get(name, 0.0))
    trace.unlink(missing_ok=True)
    total = statistics.median(totals) - baseline
    gits = {name: statistics.median(v) for name, v in per_git.items()}
    in_git = sum(gits.values())
    rest = total - interpreter - (imported - interpreter) - in_git
    biggest = sorted(gits.items(), key=lambda kv: -kv[1])
    parts = ", ".join(f"{name} {_ms(s)}" for name, s in biggest)
    # git's trace times each process from its own start: starting it is not in there.
    start_cost = _median_seconds(lambda: check(["git", "rev-parse", "--git-dir"], cwd, env), runs)
    return (
        f"where {label} spends its time (medians of {runs}, under GIT_TRACE_PERFORMANCE): "
        f"{_ms(total)} in all = interpreter start {_ms(interpreter)} + imports "
        f"{_ms(imported - interpreter)} + {statistics.median(counts):.0f} git processes "
        f"{_ms(in_git)} ({parts}) + the rest {_ms(rest)}: gitcoord's own Python work and "
        f"starting those processes (a `git rev-parse` started from Python takes "
        f"{_ms(start_cost)} whole)"
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"
