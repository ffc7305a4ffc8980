"""`gitcoord worker run [--pool NAME] [--once] [--ttl D] -- CMD...`: take a task, run CMD on
it while heartbeating the task's lease, then complete it with CMD's result or fail it with
CMD's exit status. N bounded workers are N of these processes, on any machines.

A lease lost while CMD runs (the task reaped and taken by someone else) stops CMD: the
worker never completes a task it no longer holds. SIGINT or SIGTERM stops CMD and gives
the task back (`release`) before the worker exits; a worker killed outright (SIGKILL) takes
CMD with it (user_command.py), and its task comes back with `reap` once its lease ends. A
look for a task that cannot reach the remote is warned about and retried (task_wait.py)."""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from gitcoord.cli import user_command
from gitcoord.cli.context import Context
from gitcoord.cli.helpformat import PlainCommand, plain_group
from gitcoord.cli.leased_run import GRACE, Lease, run_renewing
from gitcoord.cli.task_output import json_value, print_notes
from gitcoord.cli.task_wait import take_waiting
from gitcoord.core.durations import parse_duration
from gitcoord.core.errors import GitcoordError, Refused, UsageError
from gitcoord.core.textsafe import printable
from gitcoord.tasks import Task, TaskQueue

worker_app = plain_group(
    """Run tasks of the queue: take one, run a command on it, complete or fail it.

\b
Examples:
  gitcoord worker run -- ./process.sh
  gitcoord worker run --pool gpu --ttl 10m -- python train.py
""",
    "Take tasks and run a command on each (N workers: N of these).",
)


@worker_app.command("run", cls=PlainCommand)
def run_command(
    command: Annotated[
        list[str], typer.Argument(help="The command to run on each task (after --).", metavar="CMD")
    ],
    pool: Annotated[
        str | None,
        typer.Option(
            "--pool", metavar="NAME", help="Take tasks of this pool (none: tasks without a pool)."
        ),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Take one task, without waiting; exit 1 if none.")
    ] = False,
    ttl: Annotated[
        str | None,
        typer.Option(
            "--ttl",
            metavar="DURATION",
            help="A task's lease (default [tasks] ttl), heartbeated every third of it.",
        ),
    ] = None,
) -> int:
    """Take a ready task (waiting for one) and run CMD with GITCOORD_TASK_ID, GITCOORD_TASK_INPUT
    (a file holding the task's input JSON) and GITCOORD_TASK_RESULT (a file CMD may write its
    result JSON to) in its environment, heartbeating the task every third of its lease
    (--ttl, else [tasks] ttl). Exit 0 completes the task with the result file's JSON (null
    without one); any other exit status fails it, naming the status. Then take the next.

    If the lease is lost while CMD runs (reaped and taken by another), CMD is stopped
    (SIGTERM, SIGKILL after 10s) and the worker exits 1 naming who has the task. SIGINT or
    SIGTERM stops CMD and releases the task; a worker killed with SIGKILL takes CMD with it.
    A look for a task that cannot reach the remote is retried (after 1s, doubling to at
    most 30s, warned about on stderr). With --once: one task, not waiting for it;
    exit 0 when it is done, 1 when it failed or none was ready.

    \b
    Examples:
      gitcoord worker run -- ./process.sh
      gitcoord worker run --once --pool gpu --ttl 10m -- python train.py
    """
    why = user_command.cannot_start(command)
    if why is not None:  # before any task is taken: a typo must not fail the whole queue
        raise UsageError(f"cannot run the command: {why}", fix="gitcoord worker run -- CMD ARGS")
    ctx = Context.here()
    queue = TaskQueue(ctx.repo, ctx.config, ctx.me)
    lease = queue.lease(parse_duration(ttl, what="--ttl") if ttl is not None else None)
    worker = Worker(queue, command, lease)
    if once:
        task = worker.queue.take(pool=pool, ttl=lease)
        if task is None:
            raise Refused(f"no task is ready: {worker.queue.why_none}", fix="gitcoord task list")
        return 0 if worker.work(task) else 1
    while True:
        task = take_waiting(worker.queue, pool=pool, ttl=lease, wait=math.inf, who="worker")
        if task is not None:
            worker.work(task)


class Worker:
    """Runs CMD on the tasks it is given, as their owner."""

    def __init__(self, queue: TaskQueue, command: list[str], ttl: int) -> None:
        self.queue = queue
        self.command = command
        self.ttl = ttl
        self.name = printable(command[0])

    def work(self, task: Task) -> bool:
        """Run CMD on `task` and complete or fail it: whether it was completed. Interrupted,
        CMD is stopped and the task released before the interrupt goes on."""
        _say(printable(f"took task {task.id}: {task.title}"))
        proc: user_command.Process | int = 0
        with tempfile.TemporaryDirectory(prefix="gitcoord-task-") as tmp:
            files = Path(tmp)
            (files / "input.json").write_text(
                json.dumps(task.input, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            env = {
                **os.environ,
                "GITCOORD_TASK_ID": task.id,
                "GITCOORD_TASK_INPUT": str(files / "input.json"),
                "GITCOORD_TASK_RESULT": str(files / "result.json"),
            }
            try:
                proc = user_command.start(self.command, env=env, background=True)
                code = proc if isinstance(proc, int) else self._supervise(task, proc)
                return self._finish(task, code, files / "result.json")
            except KeyboardInterrupt:
                self._abandon(task, proc, release=True)
                raise
            except GitcoordError as exc:
                self._abandon(task, proc, failed=exc.message)
                raise

    def _supervise(self, task: Task, proc: user_command.Process) -> int:
        """Wait for CMD, heartbeating the task every third of its lease (leased_run.py);
        CMD's exit status. A heartbeat refused (the task is no longer mine) stops CMD and
        says who has it."""

        def renew() -> float:
            return self.queue.heartbeat(task.id, ttl=self.ttl).expires_at or 0.0

        lease = Lease(
            f"task {task.id}",
            renew,
            task.expires_at or 0.0,
            "the task may be taken by another once reaped",
            _say,
        )
        return run_renewing(proc, self.name, lease, self.ttl / 3)

    def _finish(self, task: Task, code: int, result_file: Path) -> bool:
        """Complete the task with CMD's result (exit 0), else fail it with the status. A
        result the queue refuses (not JSON, not of the kind's schema) fails the task too."""
        if code == 0:
            try:
                self.queue.done(task.id, result=_read_result(result_file))
                _say(f"task {task.id} done")
                print_notes(self.queue.notes)
                return True
            except UsageError as exc:  # a lost lease (Refused) is not the result's fault
                reason = f"{self.name} exited 0 but its result was refused: {exc.message}"
        else:
            reason = f"{self.name} exited with status {code}"
        self.queue.fail(task.id, reason)
        _say(printable(f"task {task.id} failed: {reason}"))
        print_notes(self.queue.notes)
        return False

    def _abandon(
        self,
        task: Task,
        proc: user_command.Process | int,
        *,
        release: bool = False,
        failed: str = "",
    ) -> None:
        """Stop CMD if it still runs and give the task back: released (an interrupt), or
        failed with a retry (`failed`: why CMD was stopped, e.g. its --paths' claims were
        broken), which the queue refuses when the task is no longer mine. A second signal
        does not cut this short: the task would stay running until its lease ends."""
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        if not isinstance(proc, int) and user_command.wait(proc, 0) is None:
            user_command.stop(proc, GRACE)
        if release:
            try:
                self.queue.release(task.id)
                _say(f"released task {task.id}")
            except GitcoordError as exc:
                _say(
                    f"warning: could not release task {task.id}: {exc.message}; "
                    "`gitcoord task reap` returns it once its lease ends"
                )
        elif failed:
            with contextlib.suppress(GitcoordError):  # not mine any more: nothing to give
                moved = self.queue.fail(task.id, f"{self.name} was stopped: {failed}", retry=True)
                _say(f"task {task.id} is {moved.state} again (one attempt counted)")


def _read_result(path: Path) -> Any:
    """The JSON CMD wrote to GITCOORD_TASK_RESULT (read as `task done --result @FILE` reads
    it); None when it wrote nothing."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    return json_value(f"@{path}", "the result file")


def _say(message: str) -> None:
    """The worker's own lines go to stderr: stdout is CMD's."""
    print(f"worker: {message}", file=sys.stderr, flush=True)
