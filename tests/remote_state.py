"""Ground truth for assertions: the claim and audit refs as they are in the served bare repo.

Read on the server side (no network, no gitcoord listing code), so a race or fault test checks
what the server committed, not what a client believes.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gitcoord.core import refnames
from gitcoord.core.auditlog import LogEntry
from gitcoord.core.claim import Claim, parse_claim_message
from gitcoord.core.waiter import Waiter, parse_waiter_commit
from gitcoord.git.objects import commit_message, list_refs, read_objects
from gitcoord.store.audit import read_log

_ENV_LOCK = threading.Lock()


@contextmanager
def _any_owner() -> Iterator[None]:
    """gitolite's repositories belong to its hosting user: let the test's git read them."""
    with _ENV_LOCK:
        yield from _trusting()


def _trusting() -> Iterator[None]:
    keys = ("GIT_CONFIG_COUNT", "GIT_CONFIG_KEY_0", "GIT_CONFIG_VALUE_0")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update(dict(zip(keys, ("1", "safe.directory", "*"), strict=True)))
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def remote_claims(repo: Path) -> list[Claim]:
    """Every claim ref on the server, parsed (a ref that does not parse fails the test)."""
    with _any_owner():
        entries = list_refs(str(repo), refnames.CLAIMS)
        raw = read_objects(str(repo), (e.oid for e in entries))
    return [parse_claim_message(commit_message(raw[e.oid]), ref=e.ref, oid=e.oid) for e in entries]


def remote_waiters(repo: Path) -> list[Waiter]:
    """Every waiter ref on the server (the queue), parsed (one that does not parse fails)."""
    with _any_owner():
        entries = list_refs(str(repo), refnames.WAITERS)
        raw = read_objects(str(repo), (e.oid for e in entries))
    return [parse_waiter_commit(raw[e.oid], ref=e.ref, oid=e.oid) for e in entries]


def held_on_server(repo: Path) -> list[tuple[str, str, str]]:
    """(agent, path, mode) of every claim on the server, sorted."""
    return sorted((c.agent, str(c.path), c.mode.value) for c in remote_claims(repo))


def remote_log(repo: Path) -> list[LogEntry]:
    with _any_owner():
        return read_log(str(repo), refnames.LOG)
