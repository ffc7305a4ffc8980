"""`make bench`: measure gitcoord against raw git on the same remote; write docs/benchmarks.md.

Every case runs over a bare file:// remote and over SSH on loopback (a throwaway sshd;
skipped, with the reason, when sshd is unavailable). A new case is one module in
bench/cases/ with `run(world, transport, plan, results)` and one line in CASES.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: make `bench` and `tests` importable

from bench import machine  # noqa: E402
from bench.cases import claim_latency, concurrency, listing, many_paths, startup  # noqa: E402
from bench.report import Results, write_markdown  # noqa: E402
from bench.sshd import SshUnavailable, loopback_sshd  # noqa: E402
from bench.timing import Plan  # noqa: E402
from bench.world import FILE, Transport, World  # noqa: E402

CASES = [claim_latency, many_paths, listing, concurrency]  # run over every transport
NOTES = ROOT / "bench" / "notes.md"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=Plan.runs, help="runs per measurement")
    parser.add_argument(
        "--heavy-runs",
        type=int,
        default=Plan.heavy_runs,
        help="runs for the 1,000-path and 5,000-claim cases",
    )
    parser.add_argument("--no-ssh", action="store_true", help="file:// only")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="run only the case module(s) of this name, e.g. listing",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    plan = Plan(runs=args.runs, heavy_runs=args.heavy_runs)
    command = "make bench" if not argv else "python bench/run_bench.py " + " ".join(argv)
    started = time.time()
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started))
    host = machine.describe()
    results = Results(rows=[], facts=[], skipped=[])
    chosen = [c for c in CASES if not args.only or c.__name__.rsplit(".", 1)[-1] in args.only]
    with tempfile.TemporaryDirectory(prefix="gitcoord-bench-") as tmp, ExitStack() as stack:
        world = World(Path(tmp))
        transports: list[Transport] = [FILE]
        if args.no_ssh:
            results.skipped.append("SSH rows: --no-ssh was given")
        else:
            try:
                transports.append(
                    stack.enter_context(
                        loopback_sshd(world.root / "sshd", world.root / "home", world.env)
                    )
                )
            except SshUnavailable as exc:
                results.skipped.append(f"SSH rows: {exc}")
                print(f"skipping the SSH rows: {exc}", flush=True)
        for case in chosen:
            for transport in transports:
                print(f"{case.__name__.rsplit('.', 1)[-1]} over {transport.name} ...", flush=True)
                case.run(world, transport, plan, results)
        if not args.only or "startup" in args.only:
            print("startup ...", flush=True)
            startup.run(world, plan, results)
    elapsed = time.time() - started
    results.facts.append(f"the whole benchmark took {elapsed / 60:.1f} minutes")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_markdown(
        args.output,
        results.rows,
        machine=host,
        command=command,
        when=when,
        skipped=results.skipped,
        facts=results.facts,
        notes=NOTES.read_text(),
    )
    print(f"wrote {args.output} ({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
