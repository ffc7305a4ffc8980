"""The commit-msg hook: trailers naming the committing agent, its session and the rules
hash it saw.

CI and the server attribute the commit by them (policy/agents.py); CI verifies the rules
hash. Kept apart from the checks so this hook imports only what it needs.
"""

from __future__ import annotations

from collections.abc import Sequence

from gitcoord.core.errors import UsageError
from gitcoord.git.history import add_trailers
from gitcoord.git.repo import Repo
from gitcoord.store.policy_source import load_policy


def commit_msg(args: Sequence[str]) -> int:
    """Add the trailers CI verifies: who committed in which session, and which rules they
    had acknowledged."""
    if not args:
        raise UsageError("commit-msg: expected the message file argument (git passes it)")
    repo = Repo.discover()
    me = repo.identity()
    trailers = [f"Gitcoord-Agent: {me.agent}", f"Gitcoord-Session: {me.session}"]
    digest = load_policy(repo.toplevel).rules_hash  # the rules in force, as committed
    if digest:
        trailers.append(f"Gitcoord-Rules: {digest}")
    add_trailers(str(repo.toplevel), args[0], trailers)
    return 0
