"""The audit trail: one append-only chain of log commits per agent under refs/claims-log/.

Each change to claims (claim, grant, renew, release, retract, take, break) appends its entry
(or, for many claims, chained entries) to the acting agent's chain in the same atomic push as
the change itself, so the trail can
never disagree with the refs. Agents never contend on one log ref.
"""

from __future__ import annotations

from gitcoord.core import refnames
from gitcoord.core.auditlog import LogEntry, parse_entry
from gitcoord.git.history import commit_messages
from gitcoord.git.objects import list_refs


def read_log(cwd: str, log_prefix: str, limit: int | None = None) -> list[LogEntry]:
    """Every entry reachable from the mirrored log refs, oldest first. A ref that is not a
    commit, and a commit that is not an entry (hostile, foreign, damaged), are skipped."""
    refs = [r.ref for r in list_refs(cwd, log_prefix) if r.type == "commit"]
    if not refs:
        return []
    # git lists a child before its parent: reversed, one change's chained entries (which
    # share their time) keep their order.
    entries = [e for oid, message in commit_messages(cwd, refs) if (e := parse_entry(oid, message))]
    entries.reverse()
    entries.sort(key=lambda e: e.at)
    return entries[-limit:] if limit else entries


def mirrored_trail(cwd: str, remote_key: str) -> list[LogEntry]:
    """Every agent's entries as last fetched from the remote `remote_key` names (into
    refs/gitcoord/<remote>/claims-log/), oldest first."""
    return read_log(cwd, refnames.to_mirror(refnames.LOG, remote_key))
