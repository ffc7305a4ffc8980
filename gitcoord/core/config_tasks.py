"""gitcoord.toml's `[tasks]` and `[pools.NAME]`: the task queue's leases, attempts, typed
contracts and bounded pools (read by core/config.parse_config)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from gitcoord.core.configfields import Reader, duration, int0, nonempty_str
from gitcoord.core.durations import format_duration
from gitcoord.core.task import key_problem

LONGEST_TASK_LEASE = 366 * 86400


class TaskKind(NamedTuple):
    """`[tasks.kinds.NAME]`: JSON Schema files (paths in the repository) a task's input and
    result must satisfy; "" for none."""

    input: str = ""
    result: str = ""


class TasksConfig(NamedTuple):
    ttl: int = 1800  # a running task's lease, renewed by `gitcoord task heartbeat`
    max_attempts: int = 3  # takes before `reap` fails an expired task instead of requeueing
    kinds: Mapping[str, TaskKind] = MappingProxyType({})


def read_tasks(reader: Reader, doc: dict[str, Any], max_ttl: int) -> TasksConfig:
    """`max_ttl`: [claims] max_ttl, which bounds a task's lease as it bounds a claim's."""
    t = reader.table(doc, "tasks", ("ttl", "max_attempts", "kinds"))
    ttl = reader.get(t, "tasks", "ttl", 1800, duration)
    if not 0 < ttl <= LONGEST_TASK_LEASE:
        raise reader.fail("tasks", "ttl", "must be more than 0s and at most 366d")
    if ttl > max_ttl:
        said = format_duration(max_ttl)
        raise reader.fail("tasks", "ttl", f"must be at most [claims] max_ttl ({said})")
    attempts = reader.get(t, "tasks", "max_attempts", 3, int0)
    if attempts < 1:
        raise reader.fail("tasks", "max_attempts", "must be at least 1")
    raw = t.get("kinds", {})
    if not isinstance(raw, dict):
        raise reader.fail("tasks", "kinds", "must be a table of [tasks.kinds.NAME]")
    kinds: dict[str, TaskKind] = {}
    for name, body in raw.items():
        table = f"tasks.kinds.{name}"
        if not isinstance(body, dict):
            raise reader.fail(table, None, "must be a table with input and/or result")
        for key in body:
            if key not in ("input", "result"):
                raise reader.fail(table, key, "unknown key (known: input, result)")
        kinds[name] = TaskKind(
            input=reader.get(body, table, "input", "", nonempty_str),
            result=reader.get(body, table, "result", "", nonempty_str),
        )
    return TasksConfig(ttl=ttl, max_attempts=attempts, kinds=kinds)


def read_pools(reader: Reader, doc: dict[str, Any]) -> dict[str, int]:
    raw = doc.get("pools", {})
    if not isinstance(raw, dict):
        raise reader.fail("pools", None, "must be a table of [pools.NAME]")
    pools: dict[str, int] = {}
    for name, body in raw.items():
        table = f"pools.{name}"
        problem = key_problem(name)
        if problem is not None:
            raise reader.fail(table, None, f"{name!r} is not a pool name: {problem}")
        if not isinstance(body, dict):
            raise reader.fail(table, None, "must be a table with 'slots'")
        for key in body:
            if key != "slots":
                raise reader.fail(table, key, "unknown key (known: slots)")
        if "slots" not in body:
            raise reader.fail(table, None, "missing key 'slots'")
        pools[name] = reader.get(body, table, "slots", 1, _slots)
    return pools


def _slots(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1000:
        raise ValueError(f"expected a whole number from 1 to 1000, got {value!r}")
    return value
