"""Reading a task commit from the remote: hostile until parsed here, within bounds.

As for claims (core/claim.py): objects over MAX_OBJECT_BYTES, commits that carry files or
have more than one parent, non-UTF-8 or non-JSON messages, JSON nested too deep, missing or
mistyped fields, and any exception at all while parsing fail into InvalidTask, so one forged
ref never stops a listing or a take. Pure.
"""

from __future__ import annotations

import math
from typing import Any

from gitcoord.core.claim import MAX_OBJECT_BYTES
from gitcoord.core.commitshape import shape_problem
from gitcoord.core.task import (
    FORMAT_VERSION,
    MAX_ATTEMPTS,
    MAX_LIST,
    MAX_PRIORITY,
    MAX_TITLE,
    STATES,
    Owner,
    Task,
    key_problem,
    title_problem,
)
from gitcoord.core.textsafe import message_object
from gitcoord.core.timeutil import from_iso

# A task carries the user's JSON (input, result): room for nesting, still bounded.
MAX_DEPTH = 32


class InvalidTask(ValueError):
    """A ref under refs/tasks/ (or a commit of a task's history) this version cannot read."""


class NewerTask(InvalidTask):
    """A task written by a newer gitcoord: listed as invalid, never moved by this one."""


def parse_task_commit(raw: bytes, *, ref: str = "", oid: str = "") -> Task:
    """A raw commit object (`git cat-file --batch`) as a Task; a `ref` must be the task's
    own (`refs/tasks/<state>/<id>` of its state and id). Raises InvalidTask only."""
    if len(raw) > MAX_OBJECT_BYTES:
        raise InvalidTask(f"object is {len(raw)} bytes, over {MAX_OBJECT_BYTES}")
    _, sep, message = raw.partition(b"\n\n")
    if not sep:
        raise InvalidTask("not a commit object (no message)")
    problem = shape_problem(raw, max_parents=1)
    if problem is not None:
        raise InvalidTask(problem)
    return parse_task_message(message, ref=ref, oid=oid)


def parse_task_message(message: str | bytes, *, ref: str = "", oid: str = "") -> Task:
    try:
        task = _parse(message, oid)
    except InvalidTask:
        raise
    except Exception as exc:  # never let one forged ref stop every agent's listing
        raise InvalidTask(f"malformed task: {type(exc).__name__}: {exc}"[:300]) from None
    if ref and task.home != ref:
        raise InvalidTask(
            f"task {task.id} ({task.state}) sits at the wrong ref (it belongs at {task.home})"
        )
    return task._replace(ref=ref)


def _parse(message: str | bytes, oid: str) -> Task:
    data = message_object(
        message,
        what="task",
        version=FORMAT_VERSION,
        limit=MAX_OBJECT_BYTES,
        depth=MAX_DEPTH,
        invalid=InvalidTask,
        newer=NewerTask,
    )
    return task_from_fields(data, oid)


def _str(data: dict[str, Any], name: str, limit: int = MAX_OBJECT_BYTES) -> str:
    value = data.get(name)
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidTask(f"field {name!r} is not a string of at most {limit} characters")
    return value


def _opt_str(data: dict[str, Any], name: str) -> str | None:
    return None if data.get(name) is None else _str(data, name, 200)


def _int(data: dict[str, Any], name: str, low: int, high: int) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidTask(f"field {name!r} is not a whole number from {low} to {high}")
    return value


def _keys(data: dict[str, Any], name: str) -> tuple[str, ...]:
    value = data.get(name)
    if not isinstance(value, list) or len(value) > MAX_LIST:
        raise InvalidTask(f"field {name!r} is not a list of at most {MAX_LIST} entries")
    for item in value:
        if not isinstance(item, str) or (name == "after" and key_problem(item)):
            raise InvalidTask(f"field {name!r} holds {item!r}, not a task id")
    return tuple(value)


def _time(data: dict[str, Any], name: str, optional: bool = True) -> float | None:
    value = data.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise InvalidTask(f"field {name!r} is not a UTC time")
    return from_iso(value)


def _owner(value: Any) -> Owner | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidTask("field 'owner' is not an object")
    return Owner(_str(value, "agent", 200), _str(value, "session", 200), _str(value, "host", 300))


def _finite(value: Any, name: str) -> Any:
    """JSON as Python's parser reads it also allows NaN and Infinity: not JSON to others."""
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidTask(f"field {name!r} holds a number that is not finite")
    if isinstance(value, list):
        for item in value:
            _finite(item, name)
    elif isinstance(value, dict):
        for item in value.values():
            _finite(item, name)
    return value


def task_from_fields(data: dict[str, Any], oid: str = "") -> Task:
    """A Task from its stored JSON fields, each checked; raises InvalidTask (or the caller's
    catch-all turns any other exception into one)."""
    task_id = _str(data, "id", 64)
    if key_problem(task_id):
        raise InvalidTask(f"field 'id' {task_id!r} is not a task id")
    pool = _opt_str(data, "pool")
    if pool is not None and key_problem(pool):
        raise InvalidTask(f"field 'pool' {pool!r} is not a pool name")
    state = data.get("state")
    if state not in STATES:
        raise InvalidTask(f"field 'state' is not one of {', '.join(STATES)}")
    title = _str(data, "title", MAX_TITLE)
    problem = title_problem(title)
    if problem is not None:
        raise InvalidTask(f"field 'title': {problem}")
    commit = _opt_str(data, "commit")
    if commit is not None and not all(c in "0123456789abcdef" for c in commit):
        raise InvalidTask("field 'commit' is not a commit id")
    return Task(
        id=task_id,
        title=title,
        body=_str(data, "body"),
        kind=_opt_str(data, "kind"),
        priority=_int(data, "priority", -MAX_PRIORITY, MAX_PRIORITY),
        after=_keys(data, "after"),
        pool=pool,
        paths=_keys(data, "paths"),
        input=_finite(data.get("input"), "input"),
        result=_finite(data.get("result"), "result"),
        reason=_str(data, "reason"),
        attempts=_int(data, "attempts", 0, MAX_ATTEMPTS),
        owner=_owner(data.get("owner")),
        created_at=_time(data, "created_at", optional=False) or 0.0,
        taken_at=_time(data, "taken_at"),
        expires_at=_time(data, "expires_at"),
        finished_at=_time(data, "finished_at"),
        heartbeat_at=_time(data, "heartbeat_at"),
        state=state,
        oid=oid,
        commit=commit,
        nonce=_str(data, "nonce", 64),
    )
