"""`gitcoord task add|list|show|take|heartbeat|done|fail|release|reap`: the task queue on
the remote's refs (tasks/queue.py); the output and input values are in task_output.py."""

from __future__ import annotations

from typing import Annotated

import typer

from gitcoord.cli.context import Context, emit_json, require
from gitcoord.cli.helpformat import PlainCommand, plain_group
from gitcoord.cli.task_output import (
    invalid_json,
    invalid_lines,
    json_value,
    print_notes,
    print_task,
    summaries,
    text_value,
    version_line,
)
from gitcoord.cli.task_run import run_done, run_heartbeat, run_take
from gitcoord.cli.task_run import task_queue as _queue
from gitcoord.core import timeutil
from gitcoord.core.task import STATES
from gitcoord.core.textsafe import printable

task_app = plain_group(
    """A task queue on the remote's refs: add tasks, take one (exactly one taker wins
it), heartbeat, finish; expired tasks are reaped back to pending.

\b
Examples:
  gitcoord task add "build the docs" --priority 5
  gitcoord task take --json
  gitcoord task done t-1a2b3c4d5e --result '{"ok": true}'
""",
    "A task queue on the remote: add, take, heartbeat, finish, reap.",
)

Json = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
TaskId = Annotated[str, typer.Argument(help="The task's id.", metavar="ID")]
Ttl = Annotated[
    str | None,
    typer.Option("--ttl", metavar="DURATION", help="Lease length (default [tasks] ttl)."),
]


@task_app.command("add", cls=PlainCommand)
def add_command(
    title: Annotated[str, typer.Argument(help="What to do, in one line.", metavar="TITLE")],
    id_: Annotated[
        str | None, typer.Option("--id", metavar="ID", help="Its id (default: t- and 10 hex).")
    ] = None,
    body: Annotated[str, typer.Option("--body", metavar="TEXT|@FILE", help="Details.")] = "",
    input_: Annotated[
        str | None, typer.Option("--input", metavar="JSON|@FILE", help="The worker's input.")
    ] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", metavar="KIND", help="[tasks.kinds.KIND] contract.")
    ] = None,
    priority: Annotated[int, typer.Option("--priority", help="Higher first (default 0).")] = 0,
    after: Annotated[
        list[str] | None,
        typer.Option("--after", metavar="ID", help="A task that must be done first; repeatable."),
    ] = None,
    pool: Annotated[
        str | None, typer.Option("--pool", metavar="NAME", help="A [pools.NAME] of gitcoord.toml.")
    ] = None,
    paths: Annotated[
        list[str] | None,
        typer.Option(
            "--paths",
            metavar="PATH",
            help="Paths the task will change; repeatable. The take claims them for its taker "
            "in the same push (both or neither); done, fail and release release them.",
        ),
    ] = None,
    as_json: Json = False,
) -> None:
    """Add a pending task to the queue.

    \b
    Examples:
      gitcoord task add "lint src/" --kind lint --input '{"dir": "src"}'
      gitcoord task add "deploy" --after t-1a2b3c4d5e --pool deploy
    """
    ctx = Context.here()
    queue = _queue(ctx, moving=False)
    task = queue.add(
        title,
        id=id_,
        body=text_value(body, "--body"),
        input=json_value(input_, "--input"),
        kind=kind,
        priority=priority,
        after=after or (),
        pool=pool,
        paths=[str(p) for p in ctx.claim_paths(paths)] if paths else (),
    )
    print_task(task, as_json, f"added task {task.id}")


@task_app.command("list", cls=PlainCommand)
def list_command(
    state: Annotated[
        str | None, typer.Option("--state", metavar="|".join(STATES), help="Only this state.")
    ] = None,
    as_json: Json = False,
) -> None:
    """List the tasks on the remote (the manifest), and refs that hold no readable task.

    \b
    Examples:
      gitcoord task list
      gitcoord task list --state pending --json
    """
    queue = _queue(Context.here(), moving=False)
    tasks = queue.list(state)
    if as_json:
        emit_json({"tasks": [t.to_json() for t in tasks], "invalid": invalid_json(queue.invalid)})
        return
    at = timeutil.now()
    for line in summaries(tasks, at) + invalid_lines(queue.invalid):
        print(line)
    if not tasks and not queue.invalid:
        print("no tasks" + (f" in state {state}" if state else ""))


@task_app.command("show", cls=PlainCommand)
def show_command(task_id: TaskId, as_json: Json = False) -> None:
    """Show a task, its result and its history (the task's own commit chain).

    \b
    Example:
      gitcoord task show t-1a2b3c4d5e
    """
    task, history = _queue(Context.here(), moving=False).show(task_id)
    if as_json:
        versions = [v.to_json() for v in history.versions]
        emit_json({"task": task.to_json(), "history": versions, "history_cut": history.cut})
        return
    print_task(task, False)
    print("history:")
    if history.cut:
        print(f"  (older versions not shown: the last {len(history.versions)} are read)")
    for version in history.versions:
        print(version_line(version))


@task_app.command("take", cls=PlainCommand)
def take_command(
    task_id: Annotated[str | None, typer.Argument(help="This task.", metavar="ID")] = None,
    pool: Annotated[
        str | None, typer.Option("--pool", metavar="NAME", help="From this pool (default: none).")
    ] = None,
    ttl: Ttl = None,
    wait: Annotated[
        str | None,
        typer.Option(
            "--wait",
            metavar="[DURATION]",
            help="Wait for a ready task: --wait 10m at most 10m; --wait alone without limit.",
        ),
    ] = None,
    as_json: Json = False,
) -> int:
    """Take the ready task of highest priority (oldest first): it runs for me until its
    lease ends; exit 1 when no task is ready. Under --wait, a look that cannot reach the
    remote is warned about and retried (after 1s, doubling to at most 30s) until the wait ends.

    \b
    Examples:
      gitcoord task take --json
      gitcoord task take --pool gpu --wait 10m
    """
    return run_take(task_id=task_id, pool=pool, ttl=ttl, wait=wait, as_json=as_json)


@task_app.command("heartbeat", cls=PlainCommand)
def heartbeat_command(task_id: TaskId, ttl: Ttl = None, as_json: Json = False) -> int:
    """Extend the lease of my running task.

    \b
    Example:
      gitcoord task heartbeat t-1a2b3c4d5e --ttl 30m
    """
    return run_heartbeat(task_id=task_id, ttl=ttl, as_json=as_json)


@task_app.command("done", cls=PlainCommand)
def done_command(
    task_id: TaskId,
    result: Annotated[
        str | None, typer.Option("--result", metavar="JSON|@FILE", help="The task's result.")
    ] = None,
    commit: Annotated[
        str | None, typer.Option("--commit", metavar="SHA", help="The commit with the work.")
    ] = None,
    as_json: Json = False,
) -> int:
    """Complete my running task.

    \b
    Example:
      gitcoord task done t-1a2b3c4d5e --result @result.json --commit HEAD
    """
    return run_done(task_id=task_id, result=result, commit=commit, as_json=as_json)


@task_app.command("fail", cls=PlainCommand)
def fail_command(
    task_id: TaskId,
    reason: Annotated[str, typer.Option("--reason", "-r", metavar="REASON", help="Why.")] = "",
    retry: Annotated[
        bool, typer.Option("--retry", help="Back to pending (until [tasks] max_attempts).")
    ] = False,
    as_json: Json = False,
) -> None:
    """Fail my running task (with --retry: back to the queue).

    \b
    Example:
      gitcoord task fail t-1a2b3c4d5e -r "tests time out" --retry
    """
    require(bool(reason.strip()), "fail needs a reason: -r REASON")
    queue = _queue(Context.here())
    task = queue.fail(task_id, reason, retry=retry)
    print_task(task, as_json, f"task {task.id} is {task.state}")
    print_notes(queue.notes)


@task_app.command("cancel", cls=PlainCommand)
def cancel_command(
    task_id: TaskId,
    reason: Annotated[str, typer.Option("--reason", "-r", metavar="REASON", help="Why.")] = "",
    as_json: Json = False,
) -> None:
    """Withdraw a pending task: failed, naming who cancelled it and why (anyone may).

    \b
    Example:
      gitcoord task cancel t-1a2b3c4d5e -r "duplicate of t-9f8e7d6c5b"
    """
    require(bool(reason.strip()), "cancel needs a reason: -r REASON")
    task = _queue(Context.here()).cancel(task_id, reason)
    print_task(task, as_json, f"cancelled task {task.id}")


@task_app.command("release", cls=PlainCommand)
def release_command(task_id: TaskId, as_json: Json = False) -> None:
    """Give my running task back, unfinished: pending again, no attempt counted.

    \b
    Example:
      gitcoord task release t-1a2b3c4d5e
    """
    queue = _queue(Context.here())
    task = queue.release(task_id)
    print_task(task, as_json, f"released task {task.id}: pending again")
    print_notes(queue.notes)


@task_app.command("reap", cls=PlainCommand)
def reap_command(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would move.")] = False,
    as_json: Json = False,
) -> None:
    """Return expired running tasks to pending (failed after [tasks] max_attempts), and
    clear pool slots no running task holds. Anyone may run it, any time (CI on a schedule).

    \b
    Example:
      gitcoord task reap --dry-run
    """
    queue = _queue(Context.here(), moving=False)
    moved = queue.reap(dry_run=dry_run)
    if as_json:
        reaped = [t.to_json() for t in moved]
        emit_json({"reaped": reaped, "cleared_slots": queue.cleared, "dry_run": dry_run})
        return
    verb = "would move" if dry_run else "moved"
    for t in moved:
        print(printable(f"{verb} task {t.id} to {t.state}: {t.reason}"))
    for ref in queue.cleared:
        print(printable(f"{'would clear' if dry_run else 'cleared'} {ref} (no running task)"))
    if not moved and not queue.cleared:
        print("nothing to reap")
