"""What every move of the task queue needs: the store, the mover, the contracts, who I am,
and the checks a version of a task passes before it is written."""

from __future__ import annotations

from gitcoord.core.claim import MAX_OBJECT_BYTES
from gitcoord.core.config import Config
from gitcoord.core.config_tasks import LONGEST_TASK_LEASE
from gitcoord.core.durations import format_duration
from gitcoord.core.errors import Refused, UsageError
from gitcoord.core.identity import Identity
from gitcoord.core.task import Owner, Task, key_problem, title_problem
from gitcoord.core.task_moves import whereabouts
from gitcoord.core.task_parse import InvalidTask, parse_task_message
from gitcoord.core.textsafe import printable, shell_word
from gitcoord.git.repo import Repo
from gitcoord.store.listing import InvalidRef
from gitcoord.store.taskstore import Board, TaskStore
from gitcoord.tasks.contracts import Contracts
from gitcoord.tasks.moving import Mover

# The command of each move of a running task, for a fix to quote.
COMMANDS = {"complete": "done", "fail": "fail -r REASON"}


def check_id(task_id: str) -> str:
    problem = key_problem(task_id)
    if problem is not None:
        raise UsageError(f"invalid task id {task_id!r}: {problem}")
    return task_id


class QueueBase:
    """The queue's state for one command, as `me`."""

    def __init__(self, repo: Repo, config: Config, me: Identity) -> None:
        self.config = config
        self.me = me
        self.store = TaskStore(repo, config)
        self.mover = Mover(self.store)
        self.contracts = Contracts(str(repo.toplevel), config)
        self.invalid: list[InvalidRef] = []  # the refs of the last board that hold no task
        self.why_none = ""  # why the last take found no task to take
        self.cleared: list[str] = []  # the slot refs the last reap deleted (or would)

    def board(self) -> Board:
        """A fresh board: every task, the refs that hold none, and the pools' slots."""
        board = self.store.fetch()
        self.invalid = board.invalid
        return board

    # -- shared --------------------------------------------------------------------------

    def _owner(self) -> Owner:
        if not self.me.agent:  # (the CLI asks Repo.identity(), which says how to set it)
            raise UsageError("moving a task needs an agent identity")
        return Owner(self.me.agent, self.me.session, self.me.host)

    def lease(self, ttl: int | None) -> int:
        """A lease asked for (default [tasks] ttl, which the policy's load already bounds),
        bounded as a claim's is: by [claims] max_ttl, the longest lease the team allows
        (cli/claim_run.py words it alike)."""
        if ttl is None:
            return self.config.tasks.ttl
        seconds = ttl
        longest = min(self.config.claims.max_ttl, LONGEST_TASK_LEASE)
        if seconds <= 0:
            raise UsageError("a task's lease (--ttl) is more than 0s")
        if seconds > longest:
            raise UsageError(
                f"--ttl {format_duration(seconds)} is longer than the longest lease, "
                f"{format_duration(longest)} ([claims] max_ttl in gitcoord.toml)",
                fix="take it for less and heartbeat it: `gitcoord task heartbeat ID` "
                "(worker run does, every third of its lease)",
            )
        return seconds

    _ttl = lease

    def not_mine(self, board: Board, task_id: str, verb: str) -> Refused:
        """The refusal of my `verb` ("heartbeat", "complete", "fail", "release") of a task
        that is not running for this session: where it is, naming its owner. When it runs
        for my agent in another session, says so and how to act as that session, as claims
        do (core/identity.command_from_here): a session is part of who holds a task."""
        task = board.find(task_id)
        if task is None:
            return Refused(f"no task {task_id} on the remote", fix="gitcoord task list")
        owner = task.owner if task.state == "running" else None
        if owner is None or owner.agent != self.me.agent or owner.session == self.me.session:
            return Refused(
                f"{whereabouts(task, task_id)}: not yours to {verb}",
                fix=f"gitcoord task show {task_id}",
            )
        where = f" on {printable(owner.host)}" if owner.host else ""
        command = f"gitcoord task {COMMANDS.get(verb, verb)} {task_id}"
        return Refused(
            printable(
                f"task {task_id} is running for your other session {owner.session}{where}, "
                f"not this one ({self.me.session}): only that session may {verb} it"
            ),
            fix=f"{verb} it there, or from here as that session: "
            f"GITCOORD_SESSION={shell_word(owner.session)} {command}",
        )


def storable(task: Task) -> None:
    """A version of a task this process is about to write is one every reader can read: a
    title of one line, within the size limit, and parsed back by the reader's own rules
    (exit 2 if not)."""
    problem = title_problem(task.title)
    if problem is not None:
        raise UsageError(problem)
    message = task.message()
    size = len(message.encode("utf-8", "surrogatepass"))
    if size > MAX_OBJECT_BYTES:
        raise UsageError(
            f"the task would be {size} bytes, over the limit of {MAX_OBJECT_BYTES}",
            fix="keep large inputs and results in the repository and pass their paths",
        )
    try:
        parse_task_message(message)
    except InvalidTask as exc:
        raise UsageError(printable(f"the task cannot be stored: {exc}")) from None
