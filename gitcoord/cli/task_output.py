"""`gitcoord task`'s input values (`TEXT|@FILE`, `JSON|@FILE`) and how tasks
are printed."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from gitcoord.cli.context import emit_json
from gitcoord.core import timeutil
from gitcoord.core.claim import MAX_OBJECT_BYTES
from gitcoord.core.durations import format_duration
from gitcoord.core.errors import UsageError
from gitcoord.core.task import Task
from gitcoord.core.textsafe import printable
from gitcoord.store.listing import InvalidRef


def text_value(value: str, what: str) -> str:
    """TEXT, or with `@FILE` the file's contents (`@-`: standard input), bounded."""
    if not value.startswith("@"):
        return value
    name = value[1:]
    try:
        if name == "-":
            data = sys.stdin.buffer.read(MAX_OBJECT_BYTES + 1)
        else:
            with Path(name).open("rb") as fh:
                data = fh.read(MAX_OBJECT_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"{what} {value}: cannot read {name}: {exc.strerror}") from None
    if len(data) > MAX_OBJECT_BYTES:
        raise UsageError(f"{what} {value}: over {MAX_OBJECT_BYTES} bytes (a task's limit)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{what} {value}: not UTF-8 text") from None


def json_value(value: str | None, what: str) -> Any:
    """A JSON value given as JSON or `@FILE`; None when not given."""
    if value is None:
        return None
    text = text_value(value, what)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise UsageError(f"{what} is not JSON: {exc}"[:300]) from None


def print_notes(notes: list[str]) -> None:
    """What a move that landed could not also do (its --paths' claims left to their lease),
    on stderr, once."""
    for note in notes:
        print(printable(note), file=sys.stderr)
    notes.clear()


def _owner(task: Task) -> str:
    return task.owner.agent if task.owner else "-"


def _left(task: Task, at: float) -> str:
    if task.expires_at is None:
        return ""
    left = task.expires_at - at
    return f"expires in {format_duration(left)}" if left >= 0 else "lease expired"


def summaries(tasks: list[Task], at: float) -> list[str]:
    """The lines of `task list`: a header, then id, state, priority, pool, owner, title
    (remote text escaped, as everywhere); none for no tasks."""
    if not tasks:
        return []
    wide = max(len(t.id) for t in tasks)
    lines = [f"{'ID':<{wide}}  {'STATE':<7}  {'PRIO':<4} {'POOL':<8} {'OWNER':<12} TITLE"]
    for t in tasks:
        extra = f" ({_left(t, at)})" if t.state == "running" else ""
        pool = t.pool or "-"
        line = f"{t.id:<{wide}}  {t.state:<7}  p{t.priority:<3} {pool:<8} {_owner(t):<12} "
        lines.append(printable(line + t.title + extra))
    return lines


def version_line(task: Task) -> str:
    """One version of a task's history."""
    if task.state == "running" and task.taken_at is not None:
        when = timeutil.to_iso(task.taken_at)
        ends = timeutil.to_iso(task.expires_at) if task.expires_at else "?"
        text = f"running for {_owner(task)} (taken {when}, lease to {ends})"
    elif task.state in ("done", "failed") and task.finished_at is not None:
        text = f"{task.state} by {_owner(task)} at {timeutil.to_iso(task.finished_at)}"
    elif not task.reason:
        text = f"pending (added {timeutil.to_iso(task.created_at)})"
    else:
        text = "pending"
    if task.reason:
        text += f": {task.reason}"
    return printable(f"  {task.oid[:12]}  {text}")


def describe(task: Task, at: float) -> list[str]:
    """`task show` and `task take`: the task's fields, one per line."""
    lines = [f"task {task.id}: {task.title}", f"  state:    {task.state}"]
    if task.owner is not None:
        lines.append(f"  owner:    {task.owner.agent} (session {task.owner.session})")
    if task.state == "running":
        lines.append(f"  lease:    {_left(task, at)}")
    fields = (
        ("kind", task.kind),
        ("priority", str(task.priority)),
        ("after", " ".join(task.after)),
        ("pool", task.pool),
        ("paths", " ".join(task.paths)),
        ("attempts", str(task.attempts) if task.attempts else ""),
        ("reason", task.reason),
        ("commit", task.commit),
        ("input", None if task.input is None else json.dumps(task.input, ensure_ascii=False)),
        ("result", None if task.result is None else json.dumps(task.result, ensure_ascii=False)),
    )
    lines += [f"  {name + ':':<9} {value}" for name, value in fields if value]
    if task.body:
        lines += ["", *("  " + ln for ln in task.body.splitlines())]
    return [printable(ln) for ln in lines]


def print_task(task: Task | None, as_json: bool, said: str = "") -> None:
    """A task as a command's outcome: `{"task": ...}` in JSON, else `said` and the task."""
    if as_json:
        emit_json({"task": None if task is None else task.to_json()})
        return
    if task is None:
        return
    if said:
        print(printable(said))
    for line in describe(task, timeutil.now()):
        print(line)


def invalid_json(invalid: list[InvalidRef]) -> list[dict[str, Any]]:
    return [{"ref": i.ref, "oid": i.oid, "problem": i.problem} for i in invalid]


def invalid_lines(invalid: list[InvalidRef]) -> list[str]:
    return [printable(f"invalid  {i.ref} ({i.oid[:12]}): {i.problem}") for i in invalid]
