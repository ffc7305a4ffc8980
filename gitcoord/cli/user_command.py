"""The user's own program, started by `gitcoord sync-check -- CMD` and `gitcoord worker run
-- CMD`: the one place the CLI starts a process that is not git (.importlinter allows it
here only), with a shell's exit statuses for a program that cannot start or is killed.

A program started in the `background` (a worker's CMD) dies with the process that started
it, even one killed with SIGKILL, which runs no clean-up: a small watchdog process, in a
session of its own, holds the read end of a pipe only the starter can write to; when the
starter dies without saying its program ended, the pipe closes and the watchdog ends the
program's whole group (SIGTERM, SIGKILL after a grace). On Linux the program itself also
asks for SIGTERM when its parent dies (PR_SET_PDEATHSIG), which covers the moment between
its start and the watchdog's."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from typing import IO

from gitcoord.core.textsafe import printable

NOT_FOUND, NOT_EXECUTABLE = 127, 126  # what a shell exits with
PR_SET_PDEATHSIG = 1  # prctl(2)

GRACE = 10.0  # seconds a program has to end after SIGTERM before it gets SIGKILL

# The watchdog: argv is the pipe's read end, the program's group and the grace. One byte on
# the pipe: the program ended and was waited for (its group id may be reused): do nothing.
_WATCHDOG = """
import os, signal, sys, time
fd, group, grace = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
try:
    said = os.read(fd, 1)
except OSError:
    said = b""
if not said:
    try:
        os.killpg(group, signal.SIGTERM)
        end = time.monotonic() + grace
        while time.monotonic() < end:
            time.sleep(0.1)
            os.killpg(group, 0)
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass
"""


class Process(subprocess.Popen[bytes]):
    """A started program; one started in the `background` has a watchdog (`_guard`)."""

    _guard: tuple[int, subprocess.Popen[bytes]] | None = None


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
    nothing (a background job reading the terminal would be stopped), and ended when this
    process dies (the module's docstring says how)."""
    name = printable(command[0])
    try:
        proc = Process(
            command,
            stdin=subprocess.DEVNULL if background else None,
            stdout=stdout,
            env=env,
            process_group=0 if background else None,
            preexec_fn=_parent_death_signal() if background else None,
        )
    except FileNotFoundError:
        what = "no such file or directory" if "/" in command[0] else "command not found"
        print(f"gitcoord: {name}: {what}", file=sys.stderr)
        return NOT_FOUND
    except OSError as exc:  # not executable, a directory, not a program (ENOEXEC)
        print(f"gitcoord: {name}: cannot execute: {exc.strerror}", file=sys.stderr)
        return NOT_EXECUTABLE
    if background:
        _watch(proc)
    return proc


def _parent_death_signal() -> Callable[[], None] | None:
    """Linux: a function the child runs before its program, asking for SIGTERM when its
    parent dies (and sending it at once if the parent died already); None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # only where it is used

    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork
    parent = os.getpid()

    def ask() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)

    return ask


def _watch(proc: Process) -> None:
    """Start the program's watchdog. If it cannot start, the program still runs: the death
    signal (Linux) is then its only guard, and stop() ends it as before."""
    read, write = os.pipe()
    try:
        dog = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _WATCHDOG, str(read), str(proc.pid), str(GRACE)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(read,),
            start_new_session=True,  # not in the group a terminal or a supervisor signals
        )
    except OSError:
        os.close(write)
        return
    finally:
        os.close(read)
    proc._guard = (write, dog)


def _ended(proc: Process) -> None:
    """The program ended and was waited for: its watchdog goes without touching its group."""
    guard, proc._guard = proc._guard, None
    if guard is None:
        return
    write, dog = guard
    with contextlib.suppress(OSError):
        os.write(write, b"x")
    os.close(write)
    dog.poll()  # (not waited for: it ends at once; subprocess reaps it at the next start)


def status(returncode: int) -> int:
    """A finished program's exit status as a shell gives it: 128+N when signal N killed it."""
    return 128 - returncode if returncode < 0 else returncode


def wait(proc: Process, timeout: float | None = None) -> int | None:
    """The program's exit status once it ends, or None if it still runs after `timeout`."""
    try:
        code = status(proc.wait(timeout))
    except subprocess.TimeoutExpired:
        return None
    _ended(proc)
    return code


def stop(proc: Process, grace: float, signum: int = signal.SIGTERM) -> int:
    """End a program started in the `background`: `signum` (SIGTERM, or the SIGINT an
    interrupted caller passes on) to its group, SIGKILL after `grace` seconds if it still
    runs; its exit status."""
    _signal_group(proc, signum)
    code = wait(proc, grace)
    if code is None:
        _signal_group(proc, signal.SIGKILL)
        code = status(proc.wait())
        _ended(proc)
    return code


def _signal_group(proc: Process, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
        os.killpg(proc.pid, signum)
