"""Task queues for the task rows: tasks written straight into a remote in one atomic push,
and the raw git a take or a completion cannot do without (the floors).

A bench queue is made through gitcoord's own store (the same commits `gitcoord task add`,
`take` and `done` write, each state's commit on the previous one), by one process in an
agent's clone, so setting up 1,000 tasks costs one push, not 1,000 commands.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import NamedTuple

from bench.timing import check
from tests.gitenv import Agent

STATES = ("pending", "running", "done", "failed")
TASKS_FETCH = ["git", "fetch", "--no-tags", "--prune", "origin", "+refs/tasks/*:refs/x/tasks/*"]

# argv[1]: JSON [[id, state, pool or null], ...]. Prints {id: oid} of the refs pushed.
_POPULATE = """
import json, sys
from gitcoord.cli.context import Context
from gitcoord.core import timeutil
from gitcoord.core.task import Owner, Task, new_nonce
from gitcoord.core.task_moves import failed, finished, taken
from gitcoord.git.transport import RefUpdate
from gitcoord.store.taskstore import TaskStore

ctx = Context.here()
store = TaskStore(ctx.repo, ctx.config)
owner = Owner("bench-owner", "s-bench", "bench-host")
at = timeutil.now()
updates, oids = [], {}
for n, (task_id, state, pool) in enumerate(json.loads(sys.argv[1])):
    task = store.stage(
        Task(id=task_id, title=f"bench task {n}", pool=pool, created_at=at + n / 1000,
             input={"n": n}, nonce=new_nonce()),
        None,
    )
    if state != "pending":
        task = store.stage(taken(task, owner, at, 3600), task.oid)
    if state == "done":
        task = store.stage(finished(task, at, {"ok": True}, None), task.oid)
    if state == "failed":
        task = store.stage(failed(task, at, "bench", retry=False, max_attempts=3), task.oid)
    updates.append(RefUpdate(task.ref, task.oid, None))
    oids[task_id] = task.oid
result = store.push(updates)
if not result.landed:
    sys.exit(f"populating the queue failed: {result}")
print(json.dumps(oids))
"""


class Spec(NamedTuple):
    task_id: str
    state: str
    pool: str | None = None


def populate(agent: Agent, specs: Sequence[Spec]) -> dict[str, str]:
    """Push the tasks `specs` describe to the agent's remote (new refs; one atomic push);
    their OIDs by id. The agent's clone then has every object it pushed."""
    out = check(
        [sys.executable, "-c", _POPULATE, json.dumps([list(s) for s in specs])],
        agent.path,
        agent.environ(),
    )
    oids: dict[str, str] = json.loads(out)
    return oids


def next_commit(agent: Agent, parent: str, label: str) -> str:
    """A new commit on `parent` (empty tree): the payload of a raw move of a task."""
    tree = agent.git("hash-object", "-t", "tree", "-w", "/dev/null").strip()
    return agent.git("commit-tree", tree, "-p", parent, "-m", f"floor {label}").strip()


def move_push(task_id: str, old_state: str, old: str, new_state: str, new: str) -> list[str]:
    """The raw form of one move of a task (the git form of an atomic rename): one atomic
    push deleting the old state's ref leased on its OID and creating the new state's ref
    leased on its absence."""
    src = f"refs/tasks/{old_state}/{task_id}"
    dst = f"refs/tasks/{new_state}/{task_id}"
    return [
        "git",
        "push",
        "--atomic",
        "--porcelain",
        f"--force-with-lease={src}:{old}",
        f"--force-with-lease={dst}:",
        "origin",
        f":{src}",
        f"{new}:{dst}",
    ]
