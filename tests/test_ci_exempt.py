"""`[rules] exempt`: `gitcoord ci` does not fail a commit whose author (a bot) is listed for
lacking gitcoord's trailers; its other checks still apply. Entries are literal names or
e-mails (e-mail ignoring case), never patterns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.gitenv import Agent
from tests.hookenv import BASE_CONFIG, Team, make_team, write

CONFIG = (
    BASE_CONFIG
    + '[rules]\nexempt = ["dependabot[bot]", "Bot@Example.COM"]\n'
    + '[[guard]]\npaths = ["secrets/**"]\ntier = "block"\nwhy = "credentials never pass"\n'
)
DEPENDABOT = "dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>"


@pytest.fixture
def team(tmp_path: Path, env: dict[str, str]) -> Team:
    return make_team(tmp_path, env, CONFIG)


def authored(agent: Agent, author: str, rel: str, content: str = "bump\n") -> None:
    """A commit by `author` as a bot makes it: no hooks, so no gitcoord trailers."""
    write(agent, rel, content)
    agent.git("add", "--", rel)
    agent.git("commit", "-q", "--no-verify", "-m", f"bump {rel}", "--author", author)


def findings(agent: Agent) -> tuple[int, list[tuple[str, str | None]]]:
    res = agent.gitcoord("ci", "--json")
    assert res.rc in (0, 1), res.err
    data: dict[str, Any] = res.json()
    return res.rc, [(f["check"], f["agent"]) for f in data["findings"]]


def test_a_listed_bot_needs_no_trailers(team: Team) -> None:
    bob = team.join("bob")
    authored(bob, DEPENDABOT, "requirements.txt", "pygit2==1.15\n")
    authored(bob, "Renovate <bot@example.com>", "package.json", "{}\n")  # e-mail, any case
    assert bob.git("log", "-1", "--skip=1", "--format=%an <%ae>").strip() == DEPENDABOT
    assert findings(bob) == (0, [])


def test_only_the_listed_names_are_exempt(team: Team) -> None:
    bob = team.join("bob")
    authored(bob, DEPENDABOT, "requirements.txt")
    authored(bob, "dependabotb <other@example.com>", "a.txt")  # `[bot]` is no glob class
    authored(bob, "bot@example.com <bob@example.com>", "b.txt")  # a name compares exactly
    bob.commit_file("docs/c.md")  # bob himself, without the hooks
    rc, found = findings(bob)
    assert rc == 1
    assert found == [
        ("rules", "other@example.com"),
        ("rules", "bob@example.com"),
        ("rules", "bob@example.com"),
    ]


def test_an_exempt_bot_is_still_held_to_claims_and_guards(team: Team) -> None:
    alice, bob = team.join("alice"), team.join("bob")
    assert alice.claim("src/api.py").rc == 0
    authored(bob, DEPENDABOT, "src/api.py", "upgraded\n")
    authored(bob, DEPENDABOT, "secrets/token", "t\n")
    bot = "49699333+dependabot[bot]@users.noreply.github.com"
    assert findings(bob) == (1, [("claims", bot), ("guards", bot)])
