"""A task of the queue on refs (issue 15): what its commit carries, and its stored format.

`refs/tasks/<state>/<id>` points to a commit with the empty tree whose message is
`task <state> <id>`, a blank line and a JSON object (format 1). Its parent is the commit of
the task's previous state, so the task's history is its own chain of commits. Parsing (all
remote data is hostile until parsed within bounds) is in core/task_parse.py. Pure.
"""

from __future__ import annotations

import json
import os
import re
from hashlib import sha256
from typing import Any, NamedTuple

from gitcoord.core import refnames
from gitcoord.core.textsafe import printable
from gitcoord.core.timeutil import to_iso

FORMAT_VERSION = 1
STATES = ("pending", "running", "done", "failed")
MAX_TITLE = 500  # characters: a title is one line of every listing
MAX_PRIORITY = 10**9
MAX_LIST = 1000  # entries of `after` and `paths`
MAX_ATTEMPTS = 10**6
_KEY = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


def key_problem(name: str) -> str | None:
    """Why `name` cannot be a task id or pool name (a ref component); None when it can.
    Lowercase as claim keys are, so case-insensitive servers cannot fold two into one."""
    if not isinstance(name, str) or not _KEY.fullmatch(name):
        return "must be 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit"
    if ".." in name or name.endswith((".", ".lock")):
        return "cannot contain '..' or end with '.' or '.lock' (git ref names)"
    return None


def title_problem(title: str) -> str | None:
    """Why `title` cannot be a task's title, or None: it is one line of every listing, so
    1 to MAX_TITLE characters, not all blank, with no control character (a newline, a tab,
    a terminal escape, a bidi override: what textsafe.printable escapes). The reader
    (task_parse.py) and `task add` apply this same rule."""
    if not title.strip() or len(title) > MAX_TITLE:
        return f"a task title is 1 to {MAX_TITLE} characters, not all blank"
    if printable(title) != title:
        shown = printable(title)
        return f'a task title is one line without control characters, not "{shown[:100]}"'
    return None


def new_task_id(title: str, at: float) -> str:
    """`t-` and 10 hex digits of SHA-256 of the title, the time and random bytes."""
    seed = f"{title}\0{at!r}\0".encode("utf-8", "surrogatepass") + os.urandom(16)
    return "t-" + sha256(seed).hexdigest()[:10]


def new_nonce() -> str:
    # Makes every task commit unique: pushing an OID a ref already has says "up to date"
    # (exit 0) even under an empty lease, a false success (docs/design.md, the nonce).
    return os.urandom(8).hex()


class Owner(NamedTuple):
    """Who runs a task: one agent in one session (the one rule of "mine": core/claim.Holder)."""

    agent: str
    session: str
    host: str = ""

    def is_(self, agent: str, session: str) -> bool:
        return self.agent == agent and self.session == session


def _iso(at: float | None) -> str | None:
    return None if at is None else to_iso(at)


class Task(NamedTuple):
    id: str
    title: str
    body: str = ""
    kind: str | None = None
    priority: int = 0
    after: tuple[str, ...] = ()  # ids of the tasks that must be done first
    pool: str | None = None
    paths: tuple[str, ...] = ()  # claim paths: the take claims them (tasks/claims.py)
    input: Any = None
    result: Any = None
    reason: str = ""
    attempts: int = 0  # leases that ended without done/fail (reaped), and retries
    owner: Owner | None = None
    created_at: float = 0.0
    taken_at: float | None = None
    expires_at: float | None = None
    finished_at: float | None = None
    heartbeat_at: float | None = None  # the take, then each heartbeat: how alive the owner is
    state: str = "pending"
    # Where it was read from (not stored in the object).
    oid: str = ""
    ref: str = ""
    commit: str | None = None  # `done --commit SHA`: the commit that landed the work
    nonce: str = ""

    @property
    def home(self) -> str:
        """The ref this version belongs at."""
        return refnames.task_ref(self.state, self.id)

    def is_expired(self, at: float, skew: float = 0.0) -> bool:
        """A running task whose lease ended more than `skew` ago by the reader's clock."""
        return (
            self.state == "running" and self.expires_at is not None and at > self.expires_at + skew
        )

    def owned_by(self, agent: str, session: str) -> bool:
        return self.owner is not None and self.owner.is_(agent, session)

    def _data(self) -> dict[str, Any]:
        data = self._asdict()
        for gone in ("oid", "ref", "nonce"):
            data.pop(gone)
        data["after"] = list(self.after)
        data["paths"] = list(self.paths)
        data["owner"] = self.owner._asdict() if self.owner else None
        for name in ("created_at", "taken_at", "expires_at", "finished_at", "heartbeat_at"):
            data[name] = _iso(data[name])
        return data

    def to_json(self) -> dict[str, Any]:
        """The task as `--json` prints it."""
        return {**self._data(), "ref": self.ref, "oid": self.oid}

    def stored_json(self) -> dict[str, Any]:
        return {"format": FORMAT_VERSION, **self._data(), "nonce": self.nonce}

    def message(self) -> str:
        body = json.dumps(self.stored_json(), sort_keys=True, indent=1, ensure_ascii=False)
        return f"task {self.state} {self.id}\n\n{body}\n"

    def version(self, **changes: Any) -> Task:
        """The next version of this task: `changes` applied, a fresh nonce, not yet written."""
        return self._replace(**changes, nonce=new_nonce(), oid="", ref="")
