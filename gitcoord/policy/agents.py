"""Whose change it is, and which claims are its own: the one rule of every layer.

A holder is (agent, session) (core/identity.py). The hooks know both from the working
tree. `gitcoord ci` and the server hooks see only commits, attributed by `commit_author`:

1. the commit's last `Gitcoord-Agent` trailer (with its `Gitcoord-Session` trailer, which
   the commit-msg hook adds beside it);
2. else the `[agents]` e-mail map of gitcoord.toml (`NAME = { emails = ["a@x"] }`);
3. else the author e-mail, spelled as a known agent (a claim's holder) spells it: e-mail
   addresses differ in case more often than people do.

Without a session trailer a commit is judged by agent alone: any session of its agent is
its own (a commit made with `--no-verify` cannot tell sessions apart).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from gitcoord.core.claim import Claim, Holder


class Author(NamedTuple):
    """Who made a change: an agent, and its session when known."""

    agent: str
    session: str | None = None  # None: any session of `agent`

    def holds(self, claim: Claim) -> bool:
        """Whether `claim` is this author's own."""
        if self.session is None:  # a commit without a session trailer: any of its agent's
            return claim.agent == self.agent
        return Holder(self.agent, self.session).holds(claim)

    def other_session(self, claim: Claim) -> bool:
        """Whether `claim` is held by another session of this author's agent."""
        return claim.agent == self.agent and not self.holds(claim)


def commit_author(
    agent_trailer: str | None,
    session_trailer: str | None,
    author_email: str,
    emails: Mapping[str, str],
    known: Iterable[str],
) -> Author:
    """The commit's author by the one rule above; `emails` is Config.agent_emails
    (lower-cased e-mail -> agent), `known` the agents of the claims being judged."""
    if agent_trailer:
        return Author(agent_trailer, session_trailer or None)
    folded = author_email.lower()
    mapped = emails.get(folded)
    if mapped:
        return Author(mapped)
    return Author(next((a for a in known if a.lower() == folded), author_email))
