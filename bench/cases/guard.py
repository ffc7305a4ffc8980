"""`gitcoord guard --harness claude` per Claude Code PreToolUse payload, against a bare
`python -c pass` of the same interpreter (issue 14: the whole process at most 4x that).

Another agent holds 2,000 live claims and my snapshot of them is fresh (`[claims] max_age`
committed and pushed), so the guard reads it and fetches nothing: only file:// is measured.
The guard runs as the installed Claude Code hook runs it: the command read back from
`.claude/settings.json`, through `sh -c`, found on PATH, the payload on stdin. Two
payloads: an Edit of a free file, and a Bash command whose writes and reads come from the
shell parse (tree-sitter-bash). Beside them, in the same rounds, the Edit payload given to
the guard's entry imported directly (no console script, no `sh`), so the console script's
own start can be told apart; and, in separate processes, the shell parse alone.
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bench import profile
from bench.cases.commit_hook import CLAIMS, with_held_claims
from bench.report import Results, Row, Target
from bench.timing import BenchError, Plan, check, interleaved, timed
from bench.world import FILE, Transport, World
from tests.gitenv import Agent

TARGET = Target("≤ 4x python -c pass", most=4.0)
FREE = "src/x.py"
CLAIMED = "area00/file00000.py"  # one of the held claims' paths: the guard must refuse it
COMMAND = f"sed -i s/a/b/ {FREE} && cat README.md > /tmp/out"
SESSION = "bench-session"
# The guard's entry without the console script: what `gitcoord guard` runs after dispatch.
DIRECT = "import sys; from gitcoord.guard.entry import main; sys.exit(main(sys.argv[1:]))"
# What an Edit payload imports before it decides (so the shell parse's imports are its own).
EDIT_IMPORTS = [
    "gitcoord.cli.entry",
    "gitcoord.guard.entry",
    "gitcoord.guard.harnesses.claude",
    "gitcoord.guard.decide",
]
# In one fresh process: import what an Edit imports, then time importing the shell walker,
# the first shell_targets (it imports tree-sitter and builds the parser), and warm calls.
PARSE_PROBE = (
    "import json, statistics, sys, time\n"
    + "".join(f"import {m}\n" for m in EDIT_IMPORTS)
    + "clocks = (time.perf_counter, time.process_time)\n"
    "t0 = [c() for c in clocks]\n"
    "from gitcoord.guard.shell import shell_targets\n"
    "t1 = [c() for c in clocks]\n"
    "found = shell_targets(sys.argv[1], sys.argv[2])\n"
    "t2 = [c() for c in clocks]\n"
    "warm = []\n"
    "for _ in range(50):\n"
    "    s = time.perf_counter(); shell_targets(sys.argv[1], sys.argv[2])\n"
    "    warm.append(time.perf_counter() - s)\n"
    "print(json.dumps([t1[0] - t0[0], t2[0] - t1[0], t2[1] - t0[1], statistics.median(warm),\n"
    "                  found.writes, found.reads]))\n"
)


def run(world: World, transport: Transport, plan: Plan, results: Results) -> None:
    if transport is not FILE:
        return  # the guard reads the local snapshot: the transport does not enter
    me, other = with_held_claims(world)
    env = me.environ()
    command = _installed_command(me)
    edit, bash = _payload(me, "Edit", FREE), _payload(me, "Bash", COMMAND)
    _check_decisions(me, command, other.name)

    cpu: dict[str, list[float]] = {"floor": [], "edit": [], "bash": []}

    def process(argv: Sequence[str], stdin: bytes | None, cpu_of: str) -> Callable[[int], float]:
        def measure(round_no: int) -> float:
            before = _children_cpu()
            wall = timed(argv, me.path, env, stdin=stdin)
            if round_no >= 0 and cpu_of:
                cpu[cpu_of].append(_children_cpu() - before)
            return wall

        return measure

    shell = ["sh", "-c", command]
    floor, edit_t, bash_t, direct_t = interleaved(
        [
            process([sys.executable, "-c", "pass"], None, "floor"),
            process(shell, edit, "edit"),
            process(shell, bash, "bash"),
            process([sys.executable, "-c", DIRECT, "--harness", "claude"], edit, ""),
        ],
        plan.runs * 2,
        plan.warmup,
    )
    what = f"{CLAIMS:,} live claims, fresh snapshot (read locally: file:// only)"
    for label, stat in (
        (f"`gitcoord guard --harness claude`, Edit of a free file, {what}", edit_t),
        (f"`gitcoord guard --harness claude`, Bash `{COMMAND}`, {what}", bash_t),
    ):
        results.add(Row(label, transport.name, TARGET, "python -c pass", floor, stat))
    results.facts.append(
        f"the guard's Edit payload given to its entry directly (`python -c 'from "
        f"gitcoord.guard.entry import main ...'`, no `sh`, no console script): "
        f"{_ms(direct_t.median)} median against {_ms(edit_t.median)} as installed, so `sh -c`, "
        f"the console script and `gitcoord.cli.entry`'s dispatch add "
        f"{_ms(edit_t.median - direct_t.median)}"
    )
    floor_cpu, edit_cpu, bash_cpu = (statistics.median(cpu[k]) for k in ("floor", "edit", "bash"))
    results.facts.append(
        f"CPU time (user + system, the process and its children, medians of the same "
        f"rounds): `python -c pass` {_ms(floor_cpu)}, the guard on the Edit payload "
        f"{_ms(edit_cpu)} ({edit_cpu / floor_cpu:.2f}x), on the Bash payload {_ms(bash_cpu)} "
        f"({bash_cpu / floor_cpu:.2f}x): less moved by other load on the machine than wall time"
    )
    results.facts.append(
        _parse_share(me, plan, (edit_t.median, bash_t.median), (edit_cpu, bash_cpu))
    )
    for label, payload, imports in (
        ("the guard, Edit payload", edit, EDIT_IMPORTS),
        ("the guard, Bash payload", bash, [*EDIT_IMPORTS, "gitcoord.guard.shell"]),
    ):
        results.facts.append(
            profile.split(
                f"{label} ({CLAIMS:,} live claims, fresh snapshot)",
                ["gitcoord", "guard", "--harness", "claude"],
                me.path,
                env,
                outer="guard",
                imports=imports,
                runs=plan.runs * 2,  # short processes: more runs against the noise
                stdin=payload,
            )
        )


def _children_cpu() -> float:
    """User + system seconds of this process's waited-for children (and theirs) so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _installed_command(me: Agent) -> str:
    """The command `gitcoord hooks install --harness claude` writes for Bash calls."""
    check(["gitcoord", "hooks", "install", "--harness", "claude"], me.path, me.environ())
    settings = json.loads((me.path / ".claude" / "settings.json").read_text())
    groups = settings["hooks"]["PreToolUse"]
    return str(next(g["hooks"][0]["command"] for g in groups if "Bash" in g["matcher"].split("|")))


def _payload(me: Agent, tool: str, what: str) -> bytes:
    """A Claude Code PreToolUse payload (tests/payloads/claude/ shows the shapes)."""
    tool_input = (
        {"command": what, "description": "bench"}
        if tool == "Bash"
        else {"file_path": str(me.path / what), "old_string": "a", "new_string": "b"}
    )
    return json.dumps(
        {
            "session_id": SESSION,
            "transcript_path": str(me.path.parent / "transcript.jsonl"),
            "cwd": str(me.path),
            "permission_mode": "default",
            "hook_event_name": "PreToolUse",
            "tool_name": tool,
            "tool_input": tool_input,
            "tool_use_id": "toolu_bench",
        }
    ).encode()


def _check_decisions(me: Agent, command: str, holder: str) -> None:
    """The measured calls are allowed, a claimed path is refused (the snapshot is read), and
    none of them starts a fetch (the snapshot is fresh): else the figures mean nothing."""
    trace = me.path.parent / ".guard-trace"
    env = {**me.environ(), "GIT_TRACE": str(trace)}
    for tool, what, denied in (
        ("Edit", FREE, False),
        ("Bash", COMMAND, False),
        ("Edit", CLAIMED, True),
    ):
        out = check(["sh", "-c", command], me.path, env, stdin=_payload(me, tool, what))
        refused = b'"permissionDecision": "deny"' in out and holder.encode() in out
        if refused != denied:
            raise BenchError(f"guard on {tool} {what!r}: expected denied={denied}, got {out!r}")
    started = trace.read_text()
    trace.unlink()
    if " fetch" in started or "upload-pack" in started:
        raise BenchError("the guard fetched: the snapshot was not fresh")


def _parse_share(me: Agent, plan: Plan, wall: tuple[float, float], cpu: tuple[float, float]) -> str:
    """The shell parse alone, in-process (medians over fresh processes), and its share of
    the Bash payload's whole guard process; `wall` and `cpu` are (Edit, Bash) medians."""
    argv = [sys.executable, "-c", PARSE_PROBE, COMMAND, str(me.path)]
    samples = [json.loads(check(argv, me.path, me.environ())) for _ in range(plan.runs * 2)]
    imported, first, cold_cpu, warm = (statistics.median(s[i] for s in samples) for i in range(4))
    writes, reads = samples[0][4], samples[0][5]
    cold = imported + first
    return (
        f"the shell parse of `{COMMAND}` in-process (medians of {len(samples)} fresh "
        f"processes that first import what an Edit payload imports): importing "
        f"gitcoord.guard.shell {_ms(imported)} + the first shell_targets (importing tree-sitter "
        f"and the bash grammar, building the parser, parsing and walking) {_ms(first)} = "
        f"{_ms(cold)} wall, {_ms(cold_cpu)} CPU: {cold / wall[1]:.0%} of the Bash payload's "
        f"guard process by wall time ({_ms(wall[1])}; the Edit payload's {_ms(wall[0])}), "
        f"{cold_cpu / cpu[1]:.0%} by CPU time ({_ms(cpu[1])}; the Edit payload's "
        f"{_ms(cpu[0])}); a warm shell_targets {warm * 1000:.2f} ms (median of 50); found "
        f"writes {_names(writes, me.path)}, reads {_names(reads, me.path)}"
    )


def _names(paths: Sequence[str], top: Path) -> str:
    return ", ".join(str(Path(p).relative_to(top)) if p.startswith(str(top)) else p for p in paths)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"
