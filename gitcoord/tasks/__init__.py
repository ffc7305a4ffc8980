"""The task queue on refs (issue 15): `TaskQueue` (queue.py) and its tasks (core/task.py)."""

from gitcoord.core.task import Owner, Task
from gitcoord.tasks.queue import TaskQueue

__all__ = ["Owner", "Task", "TaskQueue"]
