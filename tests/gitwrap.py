"""A `git` wrapper put first on an agent's PATH: faults around gitcoord's claim pushes.

It runs the real git for everything; only a push of claim refs (an argument naming
refs/claims…) and the fetch after one are touched, as the environment of the armed command
says (`GitWrap.arm`):

- `gate`: before claim push N, create `at-push-N` and wait (≤ 60 s) for the test's `go-N`:
  a push delayed for as long as the test needs, whatever the machine's speed.
- `hold`: after claim push N returned, create `pushed-N` and sleep: the process is stuck
  between its push and its read after write, for the test to kill or signal.
- `hold_fetch`: the first fetch after claim push N (the read after write) creates
  `holding-fetch` and sleeps instead of running.
- `cut` (with `cut_server`, the served repository): claim push N reaches the server, whose
  reference-transaction hook stops it prepared (refs locked, not yet updated); the wrapper
  then kills the client's git, which exits 128 with no report, as on a dropped connection.
  The first fetch after it reads the remote, and only then lets the server commit the push:
  a push that gets no answer and lands after the client's read.

Pushes are numbered per arming (a fresh state folder each time). No gitcoord code is touched:
the wrapper only stands where git stands, as a slow link or a paused laptop would.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tests.gitenv import Agent

_SCRIPT = r"""#!/bin/sh
real='@REAL@'
state="${GITWRAP_STATE:-}"
[ -n "$state" ] || exec "$real" "$@"
verb=""
claims=0
for a in "$@"; do
  case "$a" in
    push | fetch) [ -n "$verb" ] || verb="$a" ;;
  esac
  case "$a" in
    *refs/claims*) claims=1 ;;
    *refs/tasks/*) [ -z "${GITWRAP_TASKS:-}" ] || claims=1 ;;
  esac
done
await() {
  i=0
  while [ ! -e "$1" ] && [ "$i" -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done
}
if [ "$verb" = push ] && [ "$claims" = 1 ]; then
  n=1
  while ! mkdir "$state/push-$n" 2>/dev/null; do n=$((n + 1)); done
  case " ${GITWRAP_GATE:-} " in
    *" $n "*) : >"$state/at-push-$n"; await "$state/go-$n" ;;
  esac
  if [ "${GITWRAP_CUT:-}" = "$n" ]; then
    "$real" "$@" >"$state/cut-push.out" 2>"$state/cut-push.err" &
    pid=$!
    await "$state/cut-prepared"
    kill -9 "$pid"
    wait "$pid"
    echo "fatal: the remote end hung up unexpectedly" >&2
    exit 128
  fi
  "$real" "$@"
  rc=$?
  case " ${GITWRAP_HOLD:-} " in
    *" $n "*) : >"$state/pushed-$n"; sleep 120 ;;
  esac
  exit "$rc"
fi
if [ "$verb" = fetch ] && [ -n "${GITWRAP_CUT:-}" ] && [ -d "$state/push-$GITWRAP_CUT" ] \
  && mkdir "$state/fetch-after-cut" 2>/dev/null; then
  "$real" "$@"
  rc=$?
  : >"$state/cut-go"
  await "$state/cut-committed"
  exit "$rc"
fi
if [ "$verb" = fetch ] && [ -n "${GITWRAP_HOLD_FETCH:-}" ] \
  && [ -d "$state/push-$GITWRAP_HOLD_FETCH" ] && mkdir "$state/fetch-held" 2>/dev/null; then
  : >"$state/holding-fetch"
  sleep 120
fi
exec "$real" "$@"
"""


# Installed in the served repository by `arm(cut=..., cut_server=...)`: the first ref
# transaction after arming waits, prepared, for the client's read; then it commits.
_SERVER_HOOK = r"""#!/bin/sh
armed='@REPO@/gitwrap-cut'
active='@REPO@/gitwrap-cut-active'
await() {
  i=0
  while [ ! -e "$1" ] && [ "$i" -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done
}
case "$1" in
  prepared)
    if mv "$armed" "$active" 2>/dev/null; then
      state=$(cat "$active")
      : >"$state/cut-prepared"
      await "$state/cut-go"
    fi ;;
  committed | aborted)
    if [ -e "$active" ]; then
      state=$(cat "$active")
      rm -f "$active"
      : >"$state/cut-$1"
    fi ;;
esac
exit 0
"""


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a test runner may have it ignored


class GitWrap:
    def __init__(self, agent: Agent, root: Path) -> None:
        real = shutil.which("git", path=agent.env["PATH"])
        assert real, "no git on the agent's PATH"
        self.agent = agent
        self.bin = root / "bin"
        self.bin.mkdir(parents=True)
        script = self.bin / "git"
        script.write_text(_SCRIPT.replace("@REAL@", real))
        script.chmod(0o755)
        self.root = root
        self.state = root / "state-0"
        self.armed = 0
        self.procs: list[subprocess.Popen[str]] = []
        agent.extra["PATH"] = f"{self.bin}:{agent.env['PATH']}"

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        """`git-claim ARGS` in the agent's clone, as its own process group (to be killed or
        signalled as a whole, as a terminal or a supervisor does)."""
        proc = subprocess.Popen(
            ["git-claim", *args],
            cwd=self.agent.path,
            env=self.agent.environ(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            preexec_fn=_default_sigint,
        )
        self.procs.append(proc)
        return proc

    def close(self) -> None:
        """Kill what a failed test left running (a waiter, a held push)."""
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()

    def arm(
        self,
        *,
        gate: str = "",
        hold: str = "",
        hold_fetch: str = "",
        cut: str = "",
        cut_server: Path | None = None,
        tasks: bool = False,
    ) -> None:
        """Faults for the agent's next commands (push numbers count from 1 again); `tasks`:
        pushes of task refs count too."""
        self.armed += 1
        self.state = self.root / f"state-{self.armed}"
        self.state.mkdir()
        self.agent.extra.update(
            GITWRAP_STATE=str(self.state),
            GITWRAP_GATE=gate,
            GITWRAP_HOLD=hold,
            GITWRAP_HOLD_FETCH=hold_fetch,
            GITWRAP_CUT=cut,
            GITWRAP_TASKS="1" if tasks else "",
        )
        if cut:
            assert cut_server is not None, "cut needs the served repository"
            hook = cut_server / "hooks" / "reference-transaction"
            hook.parent.mkdir(exist_ok=True)
            hook.write_text(_SERVER_HOOK.replace("@REPO@", str(cut_server)))
            hook.chmod(0o755)
            (cut_server / "gitwrap-cut").write_text(str(self.state))

    def disarm(self) -> None:
        names = ("GITWRAP_STATE", "GITWRAP_GATE", "GITWRAP_HOLD", "GITWRAP_HOLD_FETCH")
        for name in (*names, "GITWRAP_CUT", "GITWRAP_TASKS"):
            self.agent.extra.pop(name, None)

    def wait_for(self, marker: str, proc: subprocess.Popen[str], timeout: float = 30) -> None:
        """Until the wrapper created `marker`; fails if the process ended first."""
        deadline = time.monotonic() + timeout
        while not (self.state / marker).exists():
            if proc.poll() is not None:
                out, err = proc.communicate()
                raise AssertionError(f"ended ({proc.returncode}) before {marker}: {out}{err}")
            assert time.monotonic() < deadline, f"no {marker} within {timeout}s"
            time.sleep(0.05)

    def go(self, push: int) -> None:
        (self.state / f"go-{push}").touch()
