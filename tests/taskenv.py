"""Task queue tests' helpers: a team sharing one policy, and ground truth read from the served
bare repository (its task and slot refs, and each task's commit chain), not from a client."""

from __future__ import annotations

from pathlib import Path

from gitcoord.core import refnames
from gitcoord.core.task import Task
from gitcoord.core.task_parse import parse_task_commit
from gitcoord.git.history import first_parents
from gitcoord.git.objects import list_refs, read_objects
from tests.gitenv import Agent


def share_policy(
    policy: str, author: Agent, *others: Agent, files: dict[str, str] | None = None
) -> None:
    """Commit gitcoord.toml (and `files`, e.g. JSON Schemas) on main and land it, so every
    clone's policy in force is the base tip's (store/policy_source.py)."""
    for rel, text in (files or {}).items():
        (author.path / rel).parent.mkdir(parents=True, exist_ok=True)
        (author.path / rel).write_text(text)
        author.git("add", "--", rel)
    author.commit_file("gitcoord.toml", policy, "policy")
    author.git("push", "-q", "--no-verify", "origin", "HEAD:main")
    for other in others:
        other.git("pull", "-q", "--no-rebase", "origin", "main")


def server_refs(repo: Path, prefix: str) -> dict[str, str]:
    """Refs under `prefix` on the server, by name: their OIDs."""
    return {e.ref: e.oid for e in list_refs(str(repo), prefix)}


def server_tasks(repo: Path) -> dict[str, Task]:
    """Every task ref on the server, parsed (a ref that does not parse fails the test)."""
    entries = list_refs(str(repo), refnames.TASKS)
    raw = read_objects(str(repo), (e.oid for e in entries))
    return {e.ref: parse_task_commit(raw[e.oid], ref=e.ref, oid=e.oid) for e in entries}


def server_history(repo: Path, tip: str) -> list[Task]:
    """A task's versions on the server, oldest first: its whole first-parent chain, every
    commit of it a task version (one that does not parse fails the test)."""
    chain = first_parents(str(repo), tip, 10_000)
    raw = read_objects(str(repo), chain)
    return [parse_task_commit(raw[oid], oid=oid) for oid in reversed(chain)]
