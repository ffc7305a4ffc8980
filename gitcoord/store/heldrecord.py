"""What this session was granted: the claims a heartbeat or `-d --all` expects to find.

Without it, a claim broken or taken while its holder was away would simply be absent from
the next listing, and "renew all of mine" would quietly renew nothing. A claim that is in
this record but no longer on the remote as mine is a lost claim, and the command says so
(exit 1, naming who broke or took it). The record lives in the clone's private state,
one file per (remote, holder), changed under a `flock` so concurrent commands of one
session do not drop each other's entries.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from gitcoord.core.atomicfile import write_atomic


class HeldClaim(NamedTuple):
    ref: str
    id: str
    path: str


def read(path: Path) -> dict[str, HeldClaim]:
    try:
        data = json.loads(path.read_bytes())
        return {
            ref: HeldClaim(ref, str(item["id"]), str(item["path"])) for ref, item in data.items()
        }
    except Exception:  # a missing or damaged record: nothing known to be held
        return {}


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def update(path: Path, change: Callable[[dict[str, HeldClaim]], None]) -> None:
    """Apply `change` to the record under its lock; best effort (the record is a safeguard
    against silent loss, and a command never fails because it cannot write it)."""
    try:
        with _locked(path):
            held = read(path)
            change(held)
            data = {ref: {"id": h.id, "path": h.path} for ref, h in held.items()}
            write_atomic(path, json.dumps(data, sort_keys=True).encode())
    except OSError:
        pass
