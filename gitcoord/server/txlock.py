"""A repository-wide lock held across the states of one ref transaction.

Git locks each ref a transaction touches, so two pushes creating *different* claim refs
(`src/` and `src/api.py`) never wait for each other, and each could check the other's
absence before either commits. The reference-transaction hook therefore takes this lock in
state "prepared" (all of the transaction's ref locks are held, nothing is visible yet),
checks, and releases it in "committed" or "aborted". Each state runs a new hook process, so
the lock cannot be a file descriptor: it is an owner record naming the git process that runs
the transaction (the hook's parent), and it is stale once that process is gone.

Every read or write of the owner record happens under a short `flock` on a guard file,
which the kernel drops when its holder dies; so breaking a stale record can never race
with a live acquirer (the classic remove-then-create race of pid lockfiles).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from gitcoord.core.atomicfile import write_atomic

LOCK_FILE = "claims-tx.lock"
GUARD_FILE = "claims-tx.guard"


class Owner(NamedTuple):
    """A process, told apart from a later process with the same pid by its start time."""

    pid: int
    start: str

    @classmethod
    def of(cls, pid: int) -> Owner:
        return cls(pid, process_start(pid) or "")

    def render(self) -> str:
        return f"{self.pid} {self.start}\n"

    @classmethod
    def parse(cls, text: str) -> Owner | None:
        parts = text.split()
        if not parts or not parts[0].isdigit():
            return None
        return cls(int(parts[0]), parts[1] if len(parts) > 1 else "")


def process_start(pid: int) -> str | None:
    """The start time of a running process from /proc; None when it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return ""
    fields = stat.rpartition(")")[2].split()
    if not fields or fields[0] in ("Z", "X"):
        return None
    return fields[19] if len(fields) > 19 else ""


def alive(owner: Owner) -> bool:
    if Path("/proc/self/stat").exists():
        start = process_start(owner.pid)
        return start is not None and (not owner.start or not start or start == owner.start)
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LockTimeout(Exception):
    def __init__(self, holder: Owner | None, waited: float) -> None:
        super().__init__(f"claims lock held by pid {holder.pid if holder else '?'}")
        self.holder = holder
        self.waited = waited


class TransactionLock:
    def __init__(self, state_dir: Path, me: Owner) -> None:
        self.state_dir = state_dir
        self.me = me
        self.path = state_dir / LOCK_FILE

    @contextmanager
    def _guard(self) -> Iterator[None]:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        # 0o666 minus the umask: a shared repository (umask 002) keeps it group-writable.
        fd = os.open(self.state_dir / GUARD_FILE, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing drops the flock

    def _read(self) -> Owner | None:
        try:
            return Owner.parse(self.path.read_text())
        except FileNotFoundError:
            return None

    def holder(self) -> Owner | None:
        with self._guard():
            return self._read()

    def acquire(self, timeout: float) -> None:
        """Take the lock (again, if my transaction already holds it); raise LockTimeout."""
        started = time.monotonic()
        delay = 0.005
        while True:
            with self._guard():
                current = self._read()
                if current is None or current == self.me or not alive(current):
                    write_atomic(self.path, self.me.render().encode())
                    return
            waited = time.monotonic() - started
            if waited >= timeout:
                raise LockTimeout(current, waited)
            time.sleep(delay)
            delay = min(delay * 1.5, 0.05)

    def release(self) -> bool:
        """Drop the lock if my transaction holds it; True when it did."""
        with self._guard():
            if self._read() != self.me:
                return False
            self.path.unlink(missing_ok=True)
            return True
