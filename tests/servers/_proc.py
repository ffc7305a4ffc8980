"""Process, port and tool helpers shared by the server fixtures (stdlib only)."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

# Every process group a fixture started and has not yet reaped. The atexit hook is a
# backstop for an interpreter that exits without running the context managers' cleanup.
_LIVE: dict[int, str] = {}


class ServerUnavailable(RuntimeError):
    """A binary or capability a server needs is missing on this machine."""


class CommandError(subprocess.CalledProcessError):
    """A CalledProcessError whose message carries the command's output."""

    def __str__(self) -> str:
        return (
            f"{' '.join(map(str, self.cmd))} exited with {self.returncode}\n"
            f"stdout: {self.stdout}\nstderr: {self.stderr}"
        )


class ServerStartError(RuntimeError):
    """A server process did not come up (the message carries its log tail)."""


def need_binary(name: str, *candidates: str) -> str:
    """Absolute path of a required binary, or raise ServerUnavailable naming the package."""
    for cand in (name, *candidates):
        if os.path.isabs(cand):
            if os.access(cand, os.X_OK):
                return cand
        else:
            found = shutil.which(cand, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
            if found:
                return found
    raise ServerUnavailable(f"{name} not found (run .ci/install-servers.sh as root)")


def need_root(what: str) -> None:
    if os.geteuid() != 0:
        raise ServerUnavailable(f"{what} needs root")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on host right now (the caller binds it soon after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def tail(path: Path, limit: int = 2000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError:
        return "(no log)"


def spawn(
    argv: Sequence[str],
    log: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start argv in its own session/process group, stdout+stderr appended to log."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )
    _LIVE[proc.pid] = argv[0]
    return proc


def wait_until(
    ready: Callable[[], bool],
    proc: subprocess.Popen[bytes] | None,
    what: str,
    log: Path,
    timeout: float = 10.0,
) -> None:
    """Poll ready() until true; fail early if proc exits, with the log tail in the error."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        if ready():
            return
        if proc is not None and proc.poll() is not None:
            raise ServerStartError(f"{what} exited with {proc.returncode}:\n{tail(log)}")
        if time.monotonic() > deadline:
            raise ServerStartError(f"{what} not ready after {timeout}s:\n{tail(log)}")
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # the command name is in parentheses and may itself contain spaces or ')'
        fields = stat[stat.rfind(")") + 2 :].split()
        kids.setdefault(int(fields[1]), []).append(int(entry))
    return kids


def descendants(pid: int) -> list[int]:
    kids = _children()
    out: list[int] = []
    todo = [pid]
    while todo:
        for child in kids.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def kill_tree(proc: subprocess.Popen[bytes] | None, timeout: float = 5.0) -> None:
    """SIGKILL proc's process group and every descendant (also ones that called setsid,
    like sshd's per-connection children), then reap proc."""
    if proc is None:
        return
    pids = descendants(proc.pid)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):  # a D-state process
        proc.wait(timeout=timeout)
    _LIVE.pop(proc.pid, None)


@atexit.register
def _kill_leftovers() -> None:  # pragma: no cover - only on abnormal exits
    for pid in list(_LIVE):
        for child in descendants(pid):
            with contextlib.suppress(OSError):
                os.kill(child, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
    _LIVE.clear()


def run(
    argv: Sequence[str],
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    check: bool = True,
    timeout: float = 60.0,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a short command, capturing text output; a failure names the command and output."""
    res = subprocess.run(
        list(argv),
        env=dict(env) if env is not None else None,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
        check=False,
    )
    if check and res.returncode != 0:
        raise CommandError(res.returncode, res.args, res.stdout, res.stderr)
    return res
