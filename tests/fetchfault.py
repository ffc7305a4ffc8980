"""A `git` wrapper put first on an agent's PATH that fails chosen fetches of the task refs,
as a dropped connection would: the Nth fetch naming refs/tasks/ exits 128 saying the
connection was reset, without running git. Everything else runs the real git untouched."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.gitenv import Agent

_SCRIPT = r"""#!/bin/sh
real='@REAL@'
state="${FETCHFAULT_STATE:-}"
[ -n "$state" ] || exec "$real" "$@"
case " $* " in
  *" fetch "*refs/tasks/*)
    n=1
    while ! mkdir "$state/fetch-$n" 2>/dev/null; do n=$((n + 1)); done
    case " ${FETCHFAULT_FAIL:-} " in
      *" $n "*)
        : >"$state/failed-$n"
        echo "fatal: unable to access 'origin': Connection reset by peer" >&2
        exit 128 ;;
    esac ;;
esac
exec "$real" "$@"
"""


class FetchFault:
    """Fetches of task refs numbered from 1 (after `fail`); those listed fail."""

    def __init__(self, agent: Agent, root: Path) -> None:
        real = shutil.which("git", path=agent.env["PATH"])
        assert real, "no git on the agent's PATH"
        self.agent = agent
        self.root = root
        self.state = root / "state-0"
        bin_dir = root / "bin"
        bin_dir.mkdir(parents=True)
        script = bin_dir / "git"
        script.write_text(_SCRIPT.replace("@REAL@", real))
        script.chmod(0o755)
        agent.extra["PATH"] = f"{bin_dir}:{agent.env['PATH']}"

    def fail(self, *numbers: int) -> None:
        """Fail these fetches of the task refs by the agent's next commands (counted from 1
        again at each call)."""
        self.state = self.root / f"state-{len(list(self.root.glob('state-*'))) + 1}"
        self.state.mkdir()
        self.agent.extra.update(
            FETCHFAULT_STATE=str(self.state), FETCHFAULT_FAIL=" ".join(map(str, numbers))
        )

    def failed(self) -> list[int]:
        """The fetches failed so far."""
        return sorted(int(p.name.removeprefix("failed-")) for p in self.state.glob("failed-*"))

    def fetches(self) -> int:
        return len(list(self.state.glob("fetch-*")))
