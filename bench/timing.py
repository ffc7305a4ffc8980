"""Wall-clock timing of whole processes: a warm-up, then several interleaved runs.

Nothing here asserts a time: the benchmark reports figures, it never fails on them.
"""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


class BenchError(RuntimeError):
    """A benchmarked command failed: the figures would be meaningless."""


@dataclass(frozen=True)
class Stat:
    """Samples of one quantity (seconds, or a rate)."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def low(self) -> float:
        return min(self.samples)

    @property
    def high(self) -> float:
        return max(self.samples)


@dataclass(frozen=True)
class Plan:
    """How many runs each measurement gets, after `warmup` unrecorded ones."""

    runs: int = 7
    warmup: int = 1
    heavy_runs: int = 4  # for the 1,000-path, 5,000-claim and 16-agent cases


def check(
    argv: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    stdin: bytes | None = None,
    ok: tuple[int, ...] = (0,),
) -> bytes:
    """Run a command that must exit with a code in `ok` (setup and measured commands alike);
    its stdout."""
    proc = subprocess.run(list(argv), cwd=cwd, env=dict(env), input=stdin, capture_output=True)
    if proc.returncode not in ok:
        raise BenchError(
            f"{' '.join(argv)} (in {cwd}) exited with {proc.returncode}:\n"
            + proc.stderr.decode(errors="replace")[-2000:]
        )
    return proc.stdout


def timed(
    argv: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    ok: tuple[int, ...] = (0,),
    stdin: bytes | None = None,
) -> float:
    """Seconds for one whole process, start to exit."""
    start = time.perf_counter()
    check(argv, cwd, env, stdin=stdin, ok=ok)
    return time.perf_counter() - start


def timed_together(jobs: Sequence[tuple[Sequence[str], Path]], env: Mapping[str, str]) -> float:
    """Seconds from starting all `jobs` at once until the last one exits."""
    start = time.perf_counter()
    procs = [
        (
            argv,
            cwd,
            subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=dict(env),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            ),
        )
        for argv, cwd in jobs
    ]
    failures = []
    for argv, cwd, proc in procs:
        _, err = proc.communicate()
        if proc.returncode != 0:
            failures.append(f"{' '.join(argv)} (in {cwd}): {err.decode(errors='replace')[-500:]}")
    elapsed = time.perf_counter() - start
    if failures:
        raise BenchError("concurrent run failed:\n" + "\n".join(failures))
    return elapsed


def interleaved(measures: Sequence[Callable[[int], float]], runs: int, warmup: int) -> list[Stat]:
    """Run each measure once per round, alternating, so load from elsewhere hits all alike.

    A measure gets the round number (negative for warm-ups) to pick fresh names.
    """
    samples: list[list[float]] = [[] for _ in measures]
    for round_no in range(-warmup, runs):
        for i, measure in enumerate(measures):
            value = measure(round_no)
            if round_no >= 0:
                samples[i].append(value)
    return [Stat(tuple(s)) for s in samples]
