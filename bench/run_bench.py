"""`make bench`: measure gitcoord against raw git on the same remote; write docs/benchmarks.md.

Every case runs over a bare file:// remote and over SSH on loopback (a throwaway sshd;
skipped, with the reason, when sshd is unavailable). A new case is one module in
bench/cases/ with `run(world, transport, plan, results)` and one line in CASES.
"""

from __future__ import annotations

import argparse
import compileall
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: make `bench` and `tests` importable

from bench import installed, machine  # noqa: E402
from bench.cases import (  # noqa: E402
    claim_forms,
    claim_latency,
    commit_hook,
    concurrency,
    gc_sweep,
    guard,
    listing,
    many_paths,
    startup,
    task_take,
    task_workers,
    watch_frame,
)
from bench.report import Results, write_markdown  # noqa: E402
from bench.sshd import SshUnavailable, loopback_sshd  # noqa: E402
from bench.timing import Plan  # noqa: E402
from bench.world import FILE, Transport, World  # noqa: E402

# per transport
CASES = [
    claim_latency,
    claim_forms,
    many_paths,
    listing,
    concurrency,
    commit_hook,
    guard,
    task_take,
    task_workers,
    watch_frame,
    gc_sweep,
]
NOTES = ROOT / "bench" / "notes.md"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=Plan.runs, help="runs per measurement")
    parser.add_argument(
        "--heavy-runs",
        type=int,
        default=Plan.heavy_runs,
        help="runs for the 1,000-path, 5,000-claim and 16-agent cases",
    )
    parser.add_argument("--no-ssh", action="store_true", help="file:// only")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="run only the case module(s) of this name, e.g. listing",
    )
    parser.add_argument(
        "--editable",
        action="store_true",
        help="measure the development install as it is (editable), not a pip-installed copy",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument(
        "--tmpdir",
        type=Path,
        default=None,
        help="where the throwaway repositories go (default: the system's)",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    fallback = None
    if not args.editable and not installed.running_installed():
        try:
            return _from_installed_copy(args, argv)
        except subprocess.CalledProcessError as exc:
            fallback = f"`{shlex.join(str(a) for a in exc.cmd)}` exited with {exc.returncode}"
            print(f"could not install a copy ({fallback}); measuring the editable install")
            args.editable = True
    # Stopped with SIGTERM: still stop sshd and remove the temporary repositories.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    plan = Plan(runs=args.runs, heavy_runs=args.heavy_runs)
    command = "make bench" if not argv else "python bench/run_bench.py " + " ".join(argv)
    started = time.time()
    host = machine.describe()  # before the run: the load average at start
    results = Results(rows=[], facts=[], skipped=[])
    results.facts.append(
        f"gitcoord as measured: the development checkout's editable install, as a pip-installed "
        f"copy could not be made ({fallback}): every interpreter start here includes "
        "setuptools' editable finder"
        if fallback
        else "gitcoord as measured: the development checkout's editable install (--editable)"
        if args.editable
        else "gitcoord as measured: pip-installed from this checkout (not editable) into a "
        "fresh venv, as users get it; `python -c pass` is that venv's interpreter"
    )
    chosen = [c for c in CASES if not args.only or c.__name__.rsplit(".", 1)[-1] in args.only]
    spent: list[str] = []
    # pip writes .pyc files when it installs gitcoord; an editable checkout under
    # PYTHONDONTWRITEBYTECODE=1 would otherwise recompile every module in every process.
    compileall.compile_dir(ROOT / "gitcoord", quiet=1)
    tmp = Path(tempfile.mkdtemp(prefix="gitcoord-bench-", dir=args.tmpdir))
    try:
        with ExitStack() as stack:
            world = World(tmp)
            transports = [FILE, *_ssh(args, world, stack, results)]
            for case in chosen:
                for transport in transports:
                    name = case.__name__.rsplit(".", 1)[-1]
                    print(f"{name} over {transport.name} ...", flush=True)
                    began = time.time()
                    case.run(world, transport, plan, results)
                    spent.append(f"{name} over {transport.name} {time.time() - began:.0f} s")
            if not args.only or "startup" in args.only:
                print("startup ...", flush=True)
                startup.run(world, plan, results)
        elapsed = time.time() - started
        results.facts.append(
            f"the measurements took {elapsed / 60:.1f} minutes ({', '.join(spent)}), then "
            "the temporary repositories are removed"
        )
        _write(args, command, started, results, host)
        print(f"wrote {args.output} after {elapsed:.0f} s; removing {tmp}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _from_installed_copy(args: argparse.Namespace, argv: list[str]) -> int:
    """Build the installed copy (bench/installed.py), run the benchmark from it, clean up."""
    tmp = Path(tempfile.mkdtemp(prefix="gitcoord-bench-venv-", dir=args.tmpdir))
    try:
        print("installing gitcoord from this checkout into a fresh venv ...", flush=True)
        python = installed.make_venv(tmp, ROOT)
        return installed.rerun(python, Path(__file__).resolve(), argv)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _ssh(
    args: argparse.Namespace, world: World, stack: ExitStack, results: Results
) -> list[Transport]:
    """The loopback SSH transport, or none (the reason goes into the report)."""
    if args.no_ssh:
        results.skipped.append("SSH rows: --no-ssh was given")
        return []
    try:
        home = world.root / "home"
        return [stack.enter_context(loopback_sshd(world.root / "sshd", home, world.env))]
    except SshUnavailable as exc:
        results.skipped.append(f"SSH rows: {exc}")
        print(f"skipping the SSH rows: {exc}", flush=True)
        return []


def _write(
    args: argparse.Namespace,
    command: str,
    started: float,
    results: Results,
    host: list[tuple[str, str]],
) -> None:
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_markdown(
        args.output,
        results.rows,
        machine=host,
        command=command,
        when=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started)),
        skipped=results.skipped,
        facts=results.facts,
        notes=NOTES.read_text(),
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
