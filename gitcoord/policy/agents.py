"""Who a commit belongs to: the one rule of `gitcoord ci` and the server hooks."""

from __future__ import annotations

from collections.abc import Iterable


def commit_agent(trailer: str | None, author_email: str, known: Iterable[str]) -> str:
    """The commit's last `Gitcoord-Agent` trailer names its agent; without one, its author
    e-mail does, spelled as a known agent (a claim's holder) spells it: e-mail addresses
    differ in case more often than people do."""
    if trailer:
        return trailer
    folded = author_email.lower()
    return next((a for a in known if a.lower() == folded), author_email)
