"""The pre-push hook holds commits made past pre-commit (`git commit --no-verify`, tools
without hooks) to the push-time rules: block-tier guards, roles and `[claims] require`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hookenv import BASE_CONFIG, Team, make_team

POLICY = (
    BASE_CONFIG
    + """require = ["migrations/"]

[[guard]]
paths = ["secrets/**"]
tier = "block"
why = "credentials never pass through agents"

[roles.tests]
write = ["tests/**"]

[agents]
"tess" = "tests"
"""
)


@pytest.fixture
def team(tmp_path: Path, env: dict[str, str]) -> Team:
    return make_team(tmp_path, env, POLICY)


def test_block_tier_path_committed_without_hooks_is_refused_at_push(team: Team) -> None:
    bob = team.join("bob")
    bob.commit_file("secrets/key.pem", "KEY\n")  # --no-verify: pre-commit never ran
    refused = bob.run("git", "push", "origin", "main")
    assert refused.rc != 0
    assert "gitcoord: refused by guards: secrets/key.pem is blocked (guard 'secrets/**')" in (
        refused.err
    )
    assert "why: credentials never pass through agents" in refused.err
    assert "git rebase -i" in refused.err  # the fix rewrites the pushed commits
    remote_tip = bob.run("git", "ls-remote", "origin", "main").out.split()[0]
    assert remote_tip != bob.git("rev-parse", "HEAD").strip()


def test_role_limit_is_refused_at_push(team: Team) -> None:
    tess = team.join("tess")
    tess.commit_file("src/api.py", "by the test agent\n")
    refused = tess.run("git", "push", "origin", "main")
    assert refused.rc != 0
    assert "gitcoord: refused by roles: src/api.py is outside role 'tests'" in refused.err


def test_require_needs_my_claim_at_push(team: Team) -> None:
    bob = team.join("bob")
    bob.commit_file("migrations/0001.sql", "create table t;\n")
    refused = bob.run("git", "push", "origin", "main")
    assert refused.rc != 0
    assert "migrations/0001.sql needs a write claim of mine ([claims] require" in refused.err
    assert bob.claim("migrations/").rc == 0
    pushed = bob.run("git", "push", "-q", "origin", "main")
    assert pushed.rc == 0, pushed.err


def test_a_branch_that_switches_guards_off_is_still_held_to_them_at_push(team: Team) -> None:
    """The policy committed with the push is not the policy in force: the base tip's is."""
    bob = team.join("bob")
    relaxed = POLICY.replace("[claims]\n", '[checks]\nguards = "off"\n\n[claims]\n')
    bob.commit_file("gitcoord.toml", relaxed, "relax")
    bob.commit_file("secrets/key.pem", "KEY\n")
    refused = bob.run("git", "push", "origin", "main")
    assert refused.rc != 0
    assert "secrets/key.pem is blocked (guard 'secrets/**')" in refused.err
