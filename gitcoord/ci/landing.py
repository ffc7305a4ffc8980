"""`gitcoord ci` on the base branch: release on land (`[claims] release_on_land`) where no
server hook does it. The rule is policy/landing.py's, the one the server hooks apply.

The range is the update that brought the base to the checked-out tip: from `--range`'s start,
else from the CI system's "before" commit of the push (GitLab's CI_COMMIT_BEFORE_SHA, the
`before` of GitHub's push event), else from the tip's first parent. The deletions are leased on
the OIDs first read, as the server's are: a claim renewed or re-taken meanwhile stays.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from gitcoord.ci.history import read_commits
from gitcoord.core.auditlog import entry_messages
from gitcoord.core.oids import is_zero
from gitcoord.git.changes import commit_changes
from gitcoord.git.history import first_parents, resolve_commit
from gitcoord.git.objects import EMPTY_TREE
from gitcoord.git.transport import RefUpdate
from gitcoord.policy.landing import LandedCommit, Release, landed_releases
from gitcoord.protocol.session import Session
from gitcoord.protocol.updates import Planned, kept_rejecting, leased_update
from gitcoord.store.listing import Listing

MAX_LANDED = 1000  # commits of one base update looked at
MAX_EVENT_BYTES = 16 * 1024 * 1024


def pushed_before(env: Mapping[str, str]) -> str | None:
    """The base's tip before the push this run is for, as the CI system tells it; None when
    it does not (not a push, a new branch: zeros)."""
    before = None
    if env.get("GITLAB_CI") == "true":
        before = env.get("CI_COMMIT_BEFORE_SHA")
    elif env.get("GITHUB_ACTIONS") == "true" and env.get("GITHUB_EVENT_NAME") == "push":
        try:
            with open(env.get("GITHUB_EVENT_PATH", ""), "rb") as fh:
                event = json.loads(fh.read(MAX_EVENT_BYTES))
            before = event.get("before") if isinstance(event, dict) else None
        except (OSError, ValueError):
            before = None
    if not isinstance(before, str) or not before or is_zero(before):
        return None
    return before


def landed_since(cwd: str, tip: str, candidates: list[str | None]) -> str | None:
    """The first candidate that is a commit here, else the tip's first parent (None: a root
    tip, all of its history landed)."""
    for rev in candidates:
        oid = resolve_commit(cwd, rev) if rev else None
        if oid is not None:
            return oid
    parents = first_parents(cwd, tip, 2)
    return parents[1] if len(parents) > 1 else None


def release_landed(
    session: Session, cwd: str, old: str | None, new: str, branch: str
) -> list[Release]:
    """Release the claims the commits of old..new land (ci's own audit chain records each
    landing commit); what was released."""
    commits = []
    for info in read_commits(cwd, old, new)[-MAX_LANDED:]:
        parent = info.parent or EMPTY_TREE
        paths = [p for ch in commit_changes(cwd, parent, info.oid) for p in ch.touched]
        commits.append(
            LandedCommit(
                info.oid, info.agent_trailer, info.session_trailer, info.author_email, paths
            )
        )
    commits.reverse()  # newest first, as landed_releases reads them
    emails = session.config.agent_emails
    first: dict[str, str] | None = None  # claim ref -> OID, as the first round planned

    def plan(listing: Listing, at: float) -> Planned[list[Release]]:
        nonlocal first
        claims = listing.claims
        if first is not None:  # a later round: only what was planned, unchanged since
            claims = [c for c in claims if first.get(c.ref) == c.oid]
        releases = landed_releases(commits, claims, emails)
        if first is None:
            first = {c.ref: c.oid for r in releases for c in r.claims}
        if not releases:
            return Planned([], [], listing)
        updates = [RefUpdate(c.ref, None, c.oid) for r in releases for c in r.claims]
        messages = [
            message
            for r in releases
            for message in entry_messages(
                "release",
                session.me,
                r.claims,
                at=at,
                reason=f"landed on {branch}",
                commit=r.commit,
            )
        ]
        updates.append(session.chained(messages, listing.log_tip))
        return Planned(updates, releases, listing)

    return leased_update(session, plan, kept_rejecting).outcome
