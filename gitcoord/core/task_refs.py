"""What a ref under refs/tasks/ or refs/task-slots/ must be to hold a task or a pool slot:
the one set of rules the client's listing (store/taskstore.py) and the server hooks
(server/taskrules.py) both apply. Each rule takes what git said about the ref's object (its
type and size, then its raw bytes when small enough to read). Pure.

    refs/tasks/<state>/<id>       a commit of at most MAX_OBJECT_BYTES that parses as a task
                                  (core/task_parse.py) in that state, with that id
    refs/task-slots/<pool>/<n>    n in canonical decimal, below MAX_SLOTS; a commit that parses
                                  as a running task of that pool
"""

from __future__ import annotations

from typing import NamedTuple

from gitcoord.core.claim import MAX_OBJECT_BYTES
from gitcoord.core.refnames import SLOTS, TASKS
from gitcoord.core.task import STATES, Task, key_problem
from gitcoord.core.task_parse import InvalidTask, parse_task_commit

MAX_SLOTS = 1000  # core/config_tasks: [pools.NAME] slots is at most this


def object_problem(kind: str, size: int) -> str | None:
    """Why an object of this type and size cannot be a task version; None when it may be."""
    if kind != "commit":
        return f"points to a {kind}, not a commit"
    if size > MAX_OBJECT_BYTES:
        return f"object is {size} bytes, over the limit of {MAX_OBJECT_BYTES}"
    return None


def task_ref_problem(ref: str) -> str | None:
    """Why `ref` (under refs/tasks/) is not a task ref's name; None when it is one."""
    parts = ref[len(TASKS) :].split("/")
    if len(parts) != 2:
        return "not refs/tasks/<state>/<id>"
    state, key = parts
    if state not in STATES:
        return f"{state!r} is not a task state ({', '.join(STATES)})"
    problem = key_problem(key)
    return None if problem is None else f"{key!r} is not a task id: {problem}"


def task_at(ref: str, kind: str, size: int, raw: bytes | None, oid: str) -> Task:
    """The task at `ref`, whose object git reports as `kind` of `size` bytes (`raw`: its
    contents; None when not read). Raises InvalidTask naming the first problem."""
    problem = task_ref_problem(ref) or object_problem(kind, size)
    if problem is not None:
        raise InvalidTask(problem)
    return parse_task_commit(raw or b"", ref=ref, oid=oid)


def slot_name(ref: str) -> tuple[str, int] | None:
    """(pool, number) of a well-formed slot ref name."""
    parts = ref[len(SLOTS) :].split("/")
    if len(parts) != 2 or key_problem(parts[0]) or not parts[1].isdigit():
        return None
    if parts[1] != str(int(parts[1])) or int(parts[1]) >= MAX_SLOTS:
        return None
    return parts[0], int(parts[1])


class SlotRead(NamedTuple):
    pool: str  # "" when the name is not a slot ref's
    number: int  # -1 when the name is not a slot ref's
    task: Task | None  # the running version it points to; None when that is no task
    problem: str  # why it is not a valid slot ("" when it is)


def slot_at(ref: str, kind: str, size: int, raw: bytes | None, oid: str) -> SlotRead:
    """The slot at `ref`, read as task_at reads a task: it must hold a running task of its
    own pool."""
    name = slot_name(ref)
    if name is None:
        return SlotRead("", -1, None, "not refs/task-slots/<pool>/<n>")
    pool, number = name
    problem = object_problem(kind, size)
    if problem is not None:
        return SlotRead(pool, number, None, problem)
    try:
        task = parse_task_commit(raw or b"", oid=oid)
    except InvalidTask as exc:
        return SlotRead(pool, number, None, str(exc))
    if task.state != "running" or task.pool != pool:
        of = f"pool {task.pool}" if task.pool else "no pool"
        why = f"points to a {task.state} task of {of}, not a running task of pool {pool}"
        return SlotRead(pool, number, None, why)
    return SlotRead(pool, number, task, "")
