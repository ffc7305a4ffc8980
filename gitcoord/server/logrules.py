"""What the server refuses under refs/claims-log/: the audit log is append-only, and every
commit a push brings there must be a small gitcoord log entry by the pusher's agent."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from gitcoord.core.auditlog import MAX_LOG_OBJECT_BYTES
from gitcoord.core.commitshape import shape_problem
from gitcoord.core.refnames import LOG, log_ref
from gitcoord.git.bare import MAX_NEW_LOG_COMMITS, ObjectInfo
from gitcoord.git.objects import commit_message
from gitcoord.server.policy import Pusher, Refusal
from gitcoord.server.refchange import RefChange


def check_logs(
    changes: Sequence[RefChange],
    new_commits: Mapping[str, Sequence[str]],
    infos: dict[str, ObjectInfo],
    raw: dict[str, bytes],
    pusher: Pusher,
    is_ancestor: Callable[[str, str], bool],
) -> list[Refusal]:
    """refs/claims-log/ holds append-only chains of audit commits.

    `new_commits`: per log ref, every commit the push brings that no server ref reaches yet
    (newest first, at most MAX_NEW_LOG_COMMITS + 1): each one, not only the tip, must be a
    small log entry with the empty tree and at most one parent, since every agent's
    `gitcoord log` downloads and parses the whole chain."""
    refusals: list[Refusal] = []
    fix = "append to the log only through `git claim`; an admin may rewrite it on the server"
    for ch in changes:
        if not ch.ref.startswith(LOG):
            continue
        if ch.deletes or (not ch.creates and not is_ancestor(ch.old, ch.new)):
            if not pusher.admin:
                what = "delete" if ch.deletes else "rewrite"
                refusals.append(Refusal(ch.ref, f"the audit log is append-only ({what})", fix))
            continue
        info = infos.get(ch.new)
        if info is None or info.type != "commit":
            problem = "missing" if info is None else f"a {info.type}"
            refusals.append(Refusal(ch.ref, f"the log tip is {problem}, not a log commit", fix))
            continue
        oids = list(new_commits.get(ch.ref, ()))
        if len(oids) > MAX_NEW_LOG_COMMITS:
            refusals.append(
                Refusal(
                    ch.ref,
                    f"the push brings more than {MAX_NEW_LOG_COMMITS} new log entries",
                    "push the log in smaller steps; an admin may import a long log on the server",
                )
            )
            continue
        for oid in oids:
            why = _log_entry_problem(ch.ref, oid, infos.get(oid), raw.get(oid), pusher)
            if why is not None:
                what = "the log tip" if oid == ch.new else f"log commit {oid[:12]}"
                refusals.append(Refusal(ch.ref, f"{what} {why}", fix))
                break
    return refusals


def _log_entry_problem(
    ref: str, oid: str, info: ObjectInfo | None, raw: bytes | None, pusher: Pusher
) -> str | None:
    """Why one pushed commit is not a valid entry of the log at `ref`; None if it is."""
    if info is not None and (info.type != "commit" or info.size > MAX_LOG_OBJECT_BYTES):
        limit = MAX_LOG_OBJECT_BYTES
        return f"is a {info.type} of {info.size} bytes, not a log commit (at most {limit})"
    if info is None or raw is None:
        return "is missing"
    from gitcoord.core.auditlog import parse_entry  # deferred: only log pushes need it

    try:
        entry = parse_entry(oid, commit_message(raw).decode("utf-8", "replace"))
    except Exception as exc:  # hostile content refuses the object, never crashes the hook
        return f"is not a gitcoord log entry (cannot be parsed: {type(exc).__name__})"
    if entry is None:
        return "is not a gitcoord log entry"
    shape = shape_problem(raw, max_parents=1)
    if shape is not None:
        return f"is not a log entry: {shape}"
    if pusher.gl_user is not None and (not pusher.owns(entry.agent) or log_ref(entry.agent) != ref):
        return f"is a log entry by {entry.agent} at this ref, but you are {pusher.acting_as()}"
    return None
