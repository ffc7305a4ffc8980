"""Which claims a base-branch update releases (`[claims] release_on_land`): the one rule the
server hooks and `gitcoord ci` apply.

A commit that reached the base releases its author's claims covering a path it changed (its
author by policy/agents.commit_author, the rule every check uses). Sessions follow
Author.holds: a commit naming its session (the Gitcoord-Session trailer) releases only that
session's claims; one without (`--no-verify`) releases the claims of every session of its
agent. A claim is a single ref: a claim on `src/` goes when any file under it lands.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from gitcoord.core.claim import Claim
from gitcoord.core.overlap import PathIndex
from gitcoord.policy.agents import commit_author


class LandedCommit(NamedTuple):
    oid: str
    agent_trailer: str | None
    session_trailer: str | None
    author_email: str
    paths: Sequence[str]  # added, modified or deleted; a rename as both sides


class Release(NamedTuple):
    commit: str  # the landing commit: the newest of the range that released the claims
    claims: list[Claim]


def landed_releases(
    commits: Sequence[LandedCommit], claims: Sequence[Claim], emails: Mapping[str, str]
) -> list[Release]:
    """The claims `commits` (newest first, as git log lists them) release, grouped by the
    newest commit of each claim's holder that changed a path under it. `emails`:
    Config.agent_emails of the policy in force."""
    index = PathIndex(claims)
    known = sorted({c.agent for c in claims})
    landing: dict[int, str] = {}
    for commit in commits:
        author = commit_author(
            commit.agent_trailer, commit.session_trailer, commit.author_email, emails, known
        )
        for path in commit.paths:
            for i in index.covering(path):
                if i not in landing and author.holds(claims[i]):
                    landing[i] = commit.oid
    grouped: dict[str, list[Claim]] = {}
    for i in sorted(landing):
        grouped.setdefault(landing[i], []).append(claims[i])
    order = [c.oid for c in reversed(commits) if c.oid in grouped]
    return [Release(oid, grouped[oid]) for oid in dict.fromkeys(order)]
