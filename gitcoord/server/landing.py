"""Release on land (`[claims] release_on_land`): once a transaction has moved the base branch
(reference-transaction "committed"), the claims its new commits' authors hold on the paths
they changed are deleted, with a "release" entry naming the landing commit appended to the
server's own audit chain (refs/claims-log/<SERVER_AGENT>).

The deletions are leased on the OIDs read here, in one transaction with the log append: a
claim renewed or re-taken meanwhile stays. A lost race on the log tip re-reads and retries
with the claims still as first read. hook.py imports this module only for a branch update.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from gitcoord.core import timeutil
from gitcoord.core.auditlog import entry_messages
from gitcoord.core.claim import Claim
from gitcoord.core.identity import Identity
from gitcoord.core.oids import is_zero
from gitcoord.core.refnames import CLAIMS, log_ref
from gitcoord.core.textsafe import printable
from gitcoord.git import bare
from gitcoord.git.objects import write_commits
from gitcoord.policy.landing import LandedCommit, Release, landed_releases
from gitcoord.server import gitdata
from gitcoord.server.refchange import BRANCHES, RELEASING_ENV, RefChange

SERVER_AGENT = "gitcoord-server"
MAX_LANDED = 1000  # commits of one base update looked at
ATTEMPTS = 5


def release_landed(git_dir: Path, changes: Sequence[RefChange]) -> None:
    moved = [c for c in changes if c.ref.startswith(BRANCHES) and not c.deletes]
    if not moved:
        return
    team = gitdata.team_config(git_dir)
    if not team.claims.release_on_land:
        return
    base = BRANCHES + team.remote.base if team.remote.base else gitdata.default_branch(git_dir)
    update = next((c for c in moved if c.ref == base), None)
    if update is None:
        return
    old = None if is_zero(update.old) else update.old
    commits = [
        LandedCommit(
            c.oid, c.agent_trailer or None, c.session_trailer or None, c.author_email, c.paths
        )
        for c in bare.landed_commits(git_dir, old, update.new, MAX_LANDED)
    ]
    if not commits:
        return
    claims = _claims(git_dir)
    releases = landed_releases(commits, list(claims.values()), team.agent_emails)
    branch = base.removeprefix(BRANCHES)
    me = Identity(SERVER_AGENT, socket.gethostname(), str(git_dir), "server")
    for _ in range(ATTEMPTS):
        if not releases:
            return
        if _apply(git_dir, releases, me, branch):
            _report(releases, branch)
            return
        # A claim changed since it was read (renewed, re-taken, released) stays; retry the
        # rest, which a concurrent append to the log may have failed.
        now = _claims(git_dir)
        releases = [
            Release(r.commit, kept)
            for r in releases
            if (kept := [c for c in r.claims if getattr(now.get(c.ref), "oid", "") == c.oid])
        ]
    print(
        f"gitcoord: warning: could not release the claims that landed on {branch}", file=sys.stderr
    )


def _claims(git_dir: Path) -> dict[str, Claim]:
    read = gitdata.claims_for(git_dir, bare.current_refs(git_dir, CLAIMS))[0]
    return {ref: c for ref, c in read.items() if isinstance(c, Claim)}


def _apply(git_dir: Path, releases: Sequence[Release], me: Identity, branch: str) -> bool:
    ref = log_ref(me.agent)
    tip = bare.current_refs(git_dir, ref).get(ref)
    at = timeutil.now()
    messages = [
        message
        for r in releases
        for message in entry_messages(
            "release", me, r.claims, at=at, reason=f"landed on {branch}", commit=r.commit
        )
    ]
    entries = write_commits(git_dir, messages, chain=True, chain_parent=tip)
    updates: list[tuple[str, str | None, str | None]] = [
        (c.ref, None, c.oid) for r in releases for c in r.claims
    ]
    updates.append((ref, entries[-1], tip))
    return bare.update_refs(git_dir, updates, {RELEASING_ENV: "1"})


def _report(releases: Sequence[Release], branch: str) -> None:
    for r in releases:
        for c in r.claims:
            print(
                f"gitcoord: released {printable(c.agent)}'s {c.mode.value} claim on "
                f"{printable(str(c.path))}: "
                f"its work landed on {branch} in {r.commit[:12]}",
                file=sys.stderr,
            )
