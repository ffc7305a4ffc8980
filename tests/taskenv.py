"""Task queue tests' helpers: a team sharing one policy, and ground truth read from the served
bare repository (its task and slot refs, and each task's commit chain), not from a client;
gitolite's repositories belong to its hosting user, so every read trusts any owner."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from gitcoord.core import refnames
from gitcoord.core.errors import GitcoordError
from gitcoord.core.task import Task
from gitcoord.core.task_parse import parse_task_commit
from gitcoord.git.history import first_parents
from gitcoord.git.objects import list_refs, read_objects
from gitcoord.tasks import TaskQueue
from tests.gitenv import Agent
from tests.remote_state import _any_owner


def share_policy(
    policy: str, author: Agent, *others: Agent, files: dict[str, str] | None = None
) -> None:
    """Commit gitcoord.toml (and `files`, e.g. JSON Schemas) on main and land it, so every
    clone's policy in force is the base tip's (store/policy_source.py)."""
    for rel, text in (files or {}).items():
        (author.path / rel).parent.mkdir(parents=True, exist_ok=True)
        (author.path / rel).write_text(text)
        author.git("add", "--", rel)
    author.commit_file("gitcoord.toml", policy, "policy")
    author.git("push", "-q", "--no-verify", "origin", "HEAD:main")
    for other in others:
        other.git("pull", "-q", "--no-rebase", "origin", "main")


def team(make_agent: Callable[[str], Agent], names: list[str], policy: str) -> list[Agent]:
    """Agents `names` sharing `policy`: the first commits it, the others clone after, four at
    a time (over ssh and gitolite a clone costs a second of CPU on a loaded machine)."""
    first = make_agent(names[0])
    share_policy(policy, first)
    with ThreadPoolExecutor(4) as pool:
        return [first, *pool.map(make_agent, names[1:])]


def server_refs(repo: Path, *prefixes: str) -> dict[str, str]:
    """Refs under `prefixes` on the server (one `for-each-ref`), by name: their OIDs."""
    with _any_owner():
        return {e.ref: e.oid for e in list_refs(str(repo), *prefixes)}


def server_tasks(repo: Path) -> dict[str, Task]:
    """Every task ref on the server, parsed (a ref that does not parse fails the test)."""
    with _any_owner():
        entries = list_refs(str(repo), refnames.TASKS)
        raw = read_objects(str(repo), (e.oid for e in entries))
    return {e.ref: parse_task_commit(raw[e.oid], ref=e.ref, oid=e.oid) for e in entries}


def server_history(repo: Path, tip: str) -> list[Task]:
    """A task's versions on the server, oldest first: its whole first-parent chain, every
    commit of it a task version (one that does not parse fails the test)."""
    with _any_owner():
        chain = first_parents(str(repo), tip, 10_000)
        raw = read_objects(str(repo), chain)
    return [parse_task_commit(raw[oid], oid=oid) for oid in reversed(chain)]


def queue_as(clone: str, env: dict[str, str]) -> TaskQueue:
    """In a process of its own (forked): the TaskQueue of the clone, as the agent whose
    environment `env` is (it replaces this process's)."""
    os.environ.clear()
    os.environ.update(env)
    from gitcoord.git.repo import Repo
    from gitcoord.store.policy_source import load_policy

    repo = Repo.discover(clone)
    return TaskQueue(repo, load_policy(repo.toplevel).config, repo.identity())


def _serve(clone: str, env: dict[str, str], conn: Connection) -> None:
    queue = queue_as(clone, env)
    while (msg := conn.recv()) is not None:
        method, args, kwargs = msg
        try:
            conn.send(("ok", getattr(queue, method)(*args, **kwargs)))
        except GitcoordError as exc:
            conn.send(("gitcoord", f"{type(exc).__name__}: {exc.render()}"))
        except Exception:
            conn.send(("error", traceback.format_exc()))


class QueueProcess:
    """The real TaskQueue of one agent's clone, in a process of its own with the agent's
    environment (its identity, HOME and PATH), so many agents' moves run in parallel
    without paying a CLI start each. `call("take", ...)` runs `queue.take(...)` there."""

    def __init__(self, agent: Agent, env: dict[str, str] | None = None) -> None:
        ctx = mp.get_context("fork")
        self.conn, child = ctx.Pipe()
        environ = {**agent.environ(), **(env or {})}  # `env`: e.g. a session of its own
        self.proc = ctx.Process(target=_serve, args=(str(agent.path), environ, child))
        self.proc.start()

    def ask(self, method: str, *args: Any, **kwargs: Any) -> tuple[str, Any]:
        """("ok", what the method returned), or ("gitcoord", the error as the CLI would
        print it); any other exception fails the test with its traceback."""
        self.conn.send((method, args, kwargs))
        verdict, value = self.conn.recv()
        assert verdict != "error", value
        return verdict, value

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        verdict, value = self.ask(method, *args, **kwargs)
        assert verdict == "ok", value
        return value

    def close(self) -> None:
        with contextlib.suppress(OSError):  # (it died: the test says why)
            self.conn.send(None)
        self.proc.join(timeout=30)
        if self.proc.is_alive():
            self.proc.kill()
