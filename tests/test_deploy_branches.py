"""`[sync] deploy`: a push (pre-push hook) or a CI run (`gitcoord ci`) that moves a deploy
branch to a commit lacking the base tip is refused, naming how far behind and the fix; one
that contains the base tip passes. Real commits, real pushes to a bare file:// remote."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gitcoord.ci.target import ci_target
from tests.gitenv import Agent
from tests.hookenv import BASE_CONFIG, Team, commit, make_team

DEPLOY = BASE_CONFIG + '[sync]\ndeploy = ["production", "release/*"]\n'
FIX = "fix: git merge origin/main, then push again"
LENIENT = DEPLOY + "max_behind = 5\n"  # only the deploy rule asks for the base tip
NO_CI = {"GITHUB_ACTIONS": "", "GITLAB_CI": ""}  # whatever the machine running the tests says


@pytest.fixture
def team(tmp_path: Path, env: dict[str, str]) -> Team:
    return make_team(tmp_path, env, DEPLOY)


def advance_main(team: Team, commits: int = 2) -> str:
    """Another agent lands `commits` commits on main; returns the new tip."""
    alice = team.agents.get("alice") or team.join("alice")
    for i in range(commits):
        assert commit(alice, f"main {i}", (f"docs/main{i}.md", f"{i}\n")).rc == 0
    assert alice.run("git", "push", "-q", "origin", "main").rc == 0
    return alice.git("rev-parse", "HEAD").strip()


def remote_tip(agent: Agent, branch: str) -> str:
    listed = agent.git("ls-remote", "origin", f"refs/heads/{branch}").split()
    return listed[0] if listed else ""


def test_stale_push_creating_a_deploy_branch_is_refused_until_it_has_the_base_tip(
    team: Team,
) -> None:
    bob = team.join("bob")
    bob.git("checkout", "-q", "-b", "release/1")  # at the seed: bob never fetched since
    main = advance_main(team)
    refused = bob.run("git", "push", "origin", "release/1")
    assert refused.rc != 0
    assert (
        "gitcoord: refused by sync: this push moves release/1 (deploy branch 'release/*') to "
        "a commit 2 commit(s) behind origin/main\n" in refused.err
    )
    assert FIX in refused.err
    assert remote_tip(bob, "release/1") == ""

    bob.git("merge", "-q", "origin/main")  # the hook fetched the base tip fresh
    pushed = bob.run("git", "push", "-q", "origin", "release/1")
    assert pushed.rc == 0, pushed.err
    assert remote_tip(bob, "release/1") == main


def test_fast_forward_of_a_deploy_branch_to_a_stale_commit_is_refused(team: Team) -> None:
    """The issue's walk-around: `[sync] protected` only stops pushes that drop commits."""
    bob = team.join("bob")
    bob.git("checkout", "-q", "-b", "release/1")
    assert bob.run("git", "push", "-q", "origin", "release/1").rc == 0  # in sync: allowed
    advance_main(team)
    assert commit(bob, "hotfix", ("src/db.py", "fixed\n")).rc == 0
    refused = bob.run("git", "push", "origin", "release/1")  # a fast-forward of release/1
    assert refused.rc != 0
    assert "this push moves release/1 (deploy branch 'release/*') to a commit 2 commit(s) " in (
        refused.err
    )
    assert bob.run("git", "pull", "-q", "--rebase", "origin", "main").rc == 0
    pushed = bob.run("git", "push", "-q", "origin", "release/1")
    assert pushed.rc == 0, pushed.err


def test_warn_mode_lets_a_stale_deploy_push_through(tmp_path: Path, env: dict[str, str]) -> None:
    team = make_team(tmp_path, env, DEPLOY + '[checks]\nsync = "warn"\n')
    bob = team.join("bob")
    bob.git("checkout", "-q", "-b", "production")
    advance_main(team, 1)
    pushed = bob.run("git", "push", "-q", "origin", "production")
    assert pushed.rc == 0, pushed.err
    assert "gitcoord: warning by sync: this push moves production (deploy branch " in pushed.err


def test_the_base_itself_and_deleting_a_deploy_branch_are_not_deploys(
    tmp_path: Path, env: dict[str, str]
) -> None:
    config = BASE_CONFIG + '[sync]\nprotected = []\ndeploy = ["main", "production"]\n'
    team = make_team(tmp_path, env, config)
    bob = team.join("bob")
    bob.git("branch", "production")
    assert bob.run("git", "push", "-q", "origin", "production").rc == 0
    advance_main(team)
    # Neither is protected here: a forced push to the base drops commits, yet is no deploy.
    assert commit(bob, "mine", ("docs/bob.md", "b\n")).rc == 0
    forced = bob.run("git", "push", "-q", "--force", "origin", "main")
    assert forced.rc == 0, forced.err
    deleted = bob.run("git", "push", "-q", "origin", "--delete", "production")
    assert deleted.rc == 0, deleted.err
    assert remote_tip(bob, "production") == ""


# -- gitcoord ci -------------------------------------------------------------------------


def ci_json(agent: Agent, *args: str) -> tuple[int, dict[str, Any]]:
    res = agent.gitcoord("ci", "--json", *args)
    assert res.rc in (0, 1), res.err
    data: dict[str, Any] = res.json()
    return res.rc, data


def test_ci_refuses_a_stale_deploy_target_whatever_max_behind_says(
    tmp_path: Path, env: dict[str, str]
) -> None:
    team = make_team(tmp_path, env, LENIENT)
    bob = team.join("bob")
    bob.extra.update(NO_CI)
    bob.git("checkout", "-q", "-b", "feature")
    assert commit(bob, "fix", ("src/db.py", "fixed\n")).rc == 0
    advance_main(team)

    rc, data = ci_json(bob)  # the current branch: no deploy branch; 2 behind <= 5
    assert rc == 0 and data["target"] == "feature" and data["deploy"] is None
    assert data["behind"] == 2 and data["findings"] == []

    rc, data = ci_json(bob, "--target", "release/1")
    assert rc == 1
    assert data["target"] == "release/1"
    assert data["deploy"] == {"pattern": "release/*", "base": "main", "behind": 2}
    [finding] = data["findings"]
    assert (finding["check"], finding["mode"], finding["path"], finding["subject"]) == (
        "sync",
        "enforce",
        "release/1",
        "release/*",
    )
    assert finding["message"] == (
        "this change moves release/1 (deploy branch 'release/*') to a commit 2 commit(s) "
        "behind origin/main"
    )
    assert finding["fix"] == FIX.removeprefix("fix: ")
    plain = bob.gitcoord("ci", "--target", "release/1")
    assert plain.rc == 1 and plain.out.startswith("gitcoord: refused by sync: this change moves")

    bob.git("merge", "-q", "--no-edit", "origin/main")
    rc, data = ci_json(bob, "--target", "release/1")
    assert rc == 0, data
    assert data["deploy"] == {"pattern": "release/*", "base": "main", "behind": 0}


def test_ci_reads_the_target_from_the_ci_environment(tmp_path: Path, env: dict[str, str]) -> None:
    team = make_team(tmp_path, env, LENIENT)
    bob = team.join("bob")
    bob.git("checkout", "-q", "-b", "release/1")  # stale once main moves
    advance_main(team, 1)
    queue = "gh-readonly-queue/production/pr-12-" + "a" * 40
    cases = [
        ({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_REF_NAME": "x"}, "x"),
        (
            {
                "GITHUB_ACTIONS": "true",
                "GITHUB_EVENT_NAME": "pull_request",
                "GITHUB_BASE_REF": "production",
                "GITHUB_REF_NAME": "12/merge",
            },
            "production",
        ),
        (
            {
                "GITHUB_ACTIONS": "true",
                "GITHUB_EVENT_NAME": "merge_group",
                "GITHUB_REF_NAME": queue,
            },
            "production",
        ),
        (
            {
                "GITLAB_CI": "true",
                "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "release/2",
                "CI_COMMIT_BRANCH": "y",
            },
            "release/2",
        ),
        ({"GITLAB_CI": "true", "CI_COMMIT_BRANCH": "y"}, "y"),
        (NO_CI, "release/1"),  # no CI system: the branch checked out
    ]
    for variables, target in cases:
        bob.extra = {**NO_CI, **variables}
        rc, data = ci_json(bob)
        assert data["target"] == target, variables
        assert rc == (0 if target in ("x", "y") else 1), (variables, data)
    bob.extra = dict(NO_CI)
    rc, data = ci_json(bob, "--target", "refs/heads/feature")
    assert (rc, data["target"]) == (0, "feature")
    empty = bob.gitcoord("ci", "--target", "")
    assert empty.rc == 2 and "--target needs a branch name" in empty.err


def test_ci_target_is_none_for_a_tag_or_without_a_ci_system() -> None:
    github = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_REF_NAME": "v1"}
    assert ci_target({**github, "GITHUB_REF_TYPE": "tag"}) is None
    assert ci_target({"GITHUB_REF_NAME": "release/1", "CI_COMMIT_BRANCH": "release/1"}) is None
