"""A `git` wrapper put first on an agent's PATH that SIGKILLs the gitcoord process calling it
at its Nth git call: a worker killed at a chosen point of take, heartbeat or done.

Only the git calls of the armed process itself are touched (its PID is GITKILL_PID: the
victim is started as `sh -c 'export GITKILL_PID=$$; exec gitcoord ...'`); git's own children
and other processes run the real git at once. Every call is numbered (`call-N/args`). At
call GITKILL_AT the victim is killed, as GITKILL_MODE says:

- `before`: before the call runs (e.g. a push whose objects are written, not sent);
- `after`: once it ran whole (e.g. a push that landed, its answer never read);
- `during`: GITKILL_SLEEP seconds into it, the call itself running on to its end (an
  orphan push may still land after its sender is dead);
- `cut`: GITKILL_SLEEP seconds into it, the call killed too (a connection dropped mid-push,
  or a fetch cut while it rewrites the clone's refs); the file:// server's receive-pack,
  git's child, runs on as a server would.

`Victim.settle` waits until nothing the victim started still runs (whatever carries its
GITKILL_STATE), so what the test then reads on the server is final. No gitcoord code is
touched: the wrapper only stands where git stands, as a kill -9 of a worker (an OOM kill,
a lost machine) would.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tests.gitenv import BIN, Agent

_SCRIPT = r"""#!/bin/sh
real='@REAL@'
state="${GITKILL_STATE:-}"
if [ -z "$state" ] || [ "$PPID" != "${GITKILL_PID:-}" ]; then exec "$real" "$@"; fi
n=1
while ! mkdir "$state/call-$n" 2>/dev/null; do n=$((n + 1)); done
printf '%s\n' "$*" >"$state/call-$n/args"
[ "$n" = "${GITKILL_AT:-0}" ] || exec "$real" "$@"
[ -e "$state/cmd-finished" ] && : >"$state/call-$n/after-cmd"
: >"$state/call-$n/hit"
# git gets the caller's stdin and stderr; this script's own stderr, where sh reports a job
# killed by a signal, goes nowhere: the caller is dead by then, and writing to its pipe
# would kill this script (SIGPIPE)
exec 3<&0 4>&2 2>/dev/null
case "${GITKILL_MODE:-before}" in
  before)
    kill -9 "$PPID"
    exit 137 ;;
  after)
    "$real" "$@" <&3 2>&4 3<&- 4>&-
    rc=$?
    kill -9 "$PPID"
    exit "$rc" ;;
  during)
    "$real" "$@" <&3 2>&4 3<&- 4>&- &
    pid=$!
    sleep "${GITKILL_SLEEP:-0}"
    kill -9 "$PPID"
    wait "$pid" ;;
  cut)
    "$real" "$@" <&3 2>&4 3<&- 4>&- &
    pid=$!
    sleep "${GITKILL_SLEEP:-0}"
    kill -9 "$pid" "$PPID"
    wait "$pid" ;;
esac
"""

MODES = ("before", "during", "after", "cut")


class Victim:
    """One armed gitcoord process: its git calls, and where it was killed."""

    def __init__(self, proc: subprocess.Popen[bytes], state: Path) -> None:
        self.proc = proc
        self.state = state

    def said(self) -> str:
        """The last lines of its stderr."""
        text = (self.state / "stderr").read_text(errors="replace").strip()
        return " | ".join(text.splitlines()[-3:])

    def calls(self) -> list[str]:
        """The arguments of each git call it made, in order."""
        found = sorted(self.state.glob("call-*"), key=lambda p: int(p.name[5:]))
        return [(p / "args").read_text().strip() if (p / "args").exists() else "" for p in found]

    def hit(self) -> int:
        """The number of the call at which it was killed (0: none)."""
        hits = [p for p in self.state.glob("call-*") if (p / "hit").exists()]
        return int(hits[0].name[5:]) if hits else 0

    def hit_after_cmd(self) -> bool:
        """The kill came after the worker's command had finished (its done, not a beat)."""
        return any(self.state.glob("call-*/after-cmd"))

    def settle(self, timeout: float = 60) -> None:
        """Until the victim is gone and nothing it started still runs: no process left
        with its GITKILL_STATE in its environment (a git call it started, even one whose
        wrapper had not yet numbered it when the victim died, git's own children such as
        the file:// server's receive-pack, the worker's command)."""
        self.proc.wait(timeout=timeout)
        mark = f"\0GITKILL_STATE={self.state}\0".encode()
        deadline = time.monotonic() + timeout
        while left := [pid for pid in _processes() if mark in _environ(pid)]:
            assert time.monotonic() < deadline, f"processes {left} of {self.state} still run"
            time.sleep(0.01)


def _processes() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _environ(pid: int) -> bytes:
    """A process's environment, NUL-framed; empty for a zombie or a process gone."""
    try:
        return b"\0" + Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return b""


class GitKill:
    """The wrapper, first on `agent`'s PATH (unarmed, it runs the real git at once)."""

    def __init__(self, agent: Agent, root: Path) -> None:
        real = shutil.which("git", path=agent.env["PATH"])
        assert real, "no git on the agent's PATH"
        self.agent = agent
        self.root = root
        bindir = root / "bin"
        bindir.mkdir(parents=True)
        (bindir / "git").write_text(_SCRIPT.replace("@REAL@", real))
        (bindir / "git").chmod(0o755)
        self.victims = 0
        agent.extra["PATH"] = f"{bindir}:{agent.env['PATH']}"

    def spawn(
        self, args: list[str], *, at: int = 0, mode: str = "before", sleep: float = 0
    ) -> Victim:
        """`gitcoord ARGS` in the agent's clone, killed at git call `at` (0: never) as
        `mode` says; its stderr goes to `stderr` in its state folder."""
        self.victims += 1
        state = self.root / f"victim-{self.victims}"
        state.mkdir()
        env = {
            **self.agent.environ(),
            "GITKILL_STATE": str(state),
            "GITKILL_AT": str(at),
            "GITKILL_MODE": mode,
            "GITKILL_SLEEP": f"{sleep:.3f}",
        }
        script = 'export GITKILL_PID=$$; exec "$@"'
        with (state / "stderr").open("wb") as err:
            proc = subprocess.Popen(
                ["sh", "-c", script, "sh", str(BIN / "gitcoord"), *args],
                cwd=self.agent.path,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        return Victim(proc, state)


def kill_now(victim: Victim) -> None:
    """SIGKILL the victim itself (not its git, which runs on) if it still runs."""
    if victim.proc.poll() is None:
        os.kill(victim.proc.pid, signal.SIGKILL)
