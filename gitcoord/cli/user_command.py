"""The user's own program, started by `gitcoord sync-check -- CMD` and `gitcoord worker run
-- CMD`: the one place the CLI starts a process that is not git (.importlinter allows it
here only), with a shell's exit statuses for a program that cannot start or is killed."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from typing import IO

from gitcoord.core.textsafe import printable

NOT_FOUND, NOT_EXECUTABLE = 127, 126  # what a shell exits with

Process = subprocess.Popen[bytes]


def cannot_start(command: list[str], env: Mapping[str, str] | None = None) -> str | None:
    """Why `command` could not start, as a shell would say it, or None when it can: for a
    caller that must not act (take a task) before it knows its program runs."""
    import shutil  # only for this check

    name = command[0]
    if "/" in name:
        if not os.path.exists(name):
            return f"{printable(name)}: no such file or directory"
        if os.path.isdir(name) or not os.access(name, os.X_OK):
            return f"{printable(name)}: cannot execute: permission denied"
        return None
    found = shutil.which(name, path=(env or os.environ).get("PATH"))
    return None if found else f"{printable(name)}: command not found"


def start(
    command: list[str],
    *,
    stdout: IO[str] | None = None,
    env: Mapping[str, str] | None = None,
    background: bool = False,
) -> Process | int:
    """The started program, or the status a shell gives one that cannot start (127 when
    it is not found, 126 when it cannot be executed), said on stderr. `background`: in a
    process group of its own, so that `stop` reaches the children it starts too, reading
    nothing (a background job reading the terminal would be stopped)."""
    name = printable(command[0])
    try:
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL if background else None,
            stdout=stdout,
            env=env,
            process_group=0 if background else None,
        )
    except FileNotFoundError:
        what = "no such file or directory" if "/" in command[0] else "command not found"
        print(f"gitcoord: {name}: {what}", file=sys.stderr)
        return NOT_FOUND
    except OSError as exc:  # not executable, a directory, not a program (ENOEXEC)
        print(f"gitcoord: {name}: cannot execute: {exc.strerror}", file=sys.stderr)
        return NOT_EXECUTABLE


def status(returncode: int) -> int:
    """A finished program's exit status as a shell gives it: 128+N when signal N killed it."""
    return 128 - returncode if returncode < 0 else returncode


def wait(proc: Process, timeout: float | None = None) -> int | None:
    """The program's exit status once it ends, or None if it still runs after `timeout`."""
    try:
        return status(proc.wait(timeout))
    except subprocess.TimeoutExpired:
        return None


def stop(proc: Process, grace: float) -> int:
    """End a program started in the `background`: SIGTERM to its group, SIGKILL after `grace`
    seconds if it still runs; its exit status."""
    _signal_group(proc, signal.SIGTERM)
    code = wait(proc, grace)
    if code is None:
        _signal_group(proc, signal.SIGKILL)
        code = status(proc.wait())
    return code


def _signal_group(proc: Process, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
        os.killpg(proc.pid, signum)
