"""gitcoord.toml's `[tasks]` and `[pools.NAME]`: the task queue's leases, attempts, typed
contracts and bounded pools (read by core/config.parse_config)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from gitcoord.core.configfields import Reader, duration, int0, nonempty_str

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


def read_tasks(reader: Reader, doc: dict[str, Any]) -> TasksConfig:
    t = reader.table(doc, "tasks", ("ttl", "max_attempts", "kinds"))
    ttl = reader.get(t, "tasks", "ttl", 1800, duration)
    if not 0 < ttl <= LONGEST_TASK_LEASE:
        raise reader.fail("tasks", "ttl", "must be more than 0s and at most 366d")
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
        if not isinstance(body, dict):
            raise reader.fail(table, None, "must be a table with 'slots'")
        for key in body:
            if key != "slots":
                raise reader.fail(table, key, "unknown key (known: slots)")
        if "slots" not in body:
            raise reader.fail(table, None, "missing key 'slots'")
        slots = reader.get(body, table, "slots", 1, int0)
        if not 1 <= slots <= 1000:
            raise reader.fail(table, "slots", "must be from 1 to 1000")
        pools[name] = slots
    return pools
