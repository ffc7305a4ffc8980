"""Issue 13: the server enforces what it can know of the team's policy.

Block-tier guards and role limits on every pushed commit, and deploy branches that must
contain the base tip, with the policy of gitcoord.toml at the pushed-to branch's tip and on
the default branch (the strictest winning): so `git push --no-verify` cannot get past them,
and neither can a branch that switched a check off. Also `server install --protect` (adds,
on the first install too) and `--protect-only` (replaces). Real pushes over file:// to a
bare repository whose hooks the real CLI installed; no client hooks (the server is the
layer that cannot be skipped).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.gitenv import Agent, clone, make_bare, seed
from tests.serverside import gitcoord_server

GUARD = """[[guard]]
paths = ["secrets/**"]
tier = "block"
why = "credentials never pass through agents"
"""
ROLES = """[roles.tests]
write = ["tests/**"]

[agents]
tester = { role = "tests", emails = ["qa@example.com"] }
"""


@pytest.fixture
def bare(tmp_path: Path, env: dict[str, str]) -> Path:
    return make_bare(tmp_path / "served" / "team.git", env)


@pytest.fixture
def alice(bare: Path, tmp_path: Path, env: dict[str, str]) -> Agent:
    agent = clone(bare.as_uri(), tmp_path / "agents" / "alice", "alice", env)
    seed(agent)
    return agent


def _tip(bare: Path, branch: str = "main") -> str:
    out = subprocess.run(
        ["git", "rev-parse", "--verify", "-q", f"refs/heads/{branch}"],
        cwd=bare,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def _policy(agent: Agent, text: str, branch: str = "main") -> None:
    """Commit gitcoord.toml and push it (it takes effect for the pushes after this one)."""
    agent.commit_file("gitcoord.toml", text, message="policy")
    agent.git("push", "-q", "--no-verify", "origin", f"HEAD:{branch}")


def _install(bare: Path, env: dict[str, str], *args: str) -> None:
    res = gitcoord_server(env, "install", str(bare), *args)
    assert res.rc == 0, res.err


def _served_with(bare: Path, agent: Agent, env: dict[str, str], policy: str) -> str:
    """Commit and push `policy` to main, install the server hooks; main's tip."""
    _policy(agent, policy)
    _install(bare, env)
    return _tip(bare)


def _push(agent: Agent, *refspecs: str) -> tuple[int, str]:
    res = agent.run("git", "push", "--no-verify", "origin", *refspecs)
    return res.rc, res.err


def test_block_tier_guard_is_refused_by_the_server_and_a_branch_cannot_switch_it_off(
    bare: Path, alice: Agent, env: dict[str, str]
) -> None:
    before = _served_with(bare, alice, env, GUARD)

    alice.commit_file("secrets/key.pem", "-----BEGIN KEY-----\n")
    rc, err = _push(alice, "HEAD:main")
    assert rc == 1, err
    assert "gitcoord: refused refs/heads/main: commit " in err
    assert "by alice@example.com: secrets/key.pem is blocked (guard 'secrets/**')" in err
    assert "why: credentials never pass through agents" in err
    assert f"drop the change to secrets/key.pem: git rebase -i {before[:12]}, then push" in err
    assert "ask a human" in err
    assert _tip(bare) == before

    # The walk-around of the issue: switch guards off in the same push. The policy is the
    # branch's tip's, so the change takes effect only after it lands.
    alice.git("reset", "-q", "--hard", "origin/main")
    alice.commit_file("gitcoord.toml", GUARD + '[checks]\nguards = "off"\n', message="off")
    alice.commit_file("secrets/key.pem", "key\n")
    rc, err = _push(alice, "HEAD:main")
    assert rc == 1 and "secrets/key.pem is blocked" in err, err
    assert _tip(bare) == before

    # A side branch whose own policy switched guards off: the default branch's still holds.
    alice.git("reset", "-q", "--hard", "HEAD~1")
    assert _push(alice, "HEAD:refs/heads/side")[0] == 0  # carries guards = "off"
    alice.commit_file("secrets/key.pem", "key\n")
    rc, err = _push(alice, "HEAD:side")
    assert rc == 1 and "refused refs/heads/side: commit" in err, err
    assert "secrets/key.pem is blocked (guard 'secrets/**')" in err

    # In warn mode: allowed, told.
    alice.git("reset", "-q", "--hard", "origin/main")
    _policy(alice, GUARD + '[checks]\nguards = "warn"\n')
    alice.commit_file("secrets/key.pem", "key\n")
    rc, err = _push(alice, "HEAD:main")
    assert rc == 0, err
    assert (
        "gitcoord: warning (allowed: the check is in warn mode) for refs/heads/main: commit"
    ) in err
    assert "secrets/key.pem is blocked (guard 'secrets/**')" in err
    assert "refused" not in err
    assert _tip(bare) == alice.git("rev-parse", "HEAD").strip()


def test_role_limits_are_refused_by_the_server_whoever_the_trailer_names(
    bare: Path, alice: Agent, env: dict[str, str]
) -> None:
    before = _served_with(bare, alice, env, ROLES)

    alice.commit_file("src/x.py", "x\n", message="x\n\nGitcoord-Agent: tester")
    rc, err = _push(alice, "HEAD:main")
    assert rc == 1, err
    assert "by tester: src/x.py is outside role 'tests', which may write only: tests/**" in err
    assert "why: a role limits where an agent may write" in err
    assert f"git rebase -i {before[:12]}" in err and "[roles.tests] write" in err
    assert _tip(bare) == before

    # Without a trailer the [agents] e-mail map names the agent; within the role it passes.
    alice.git("reset", "-q", "--hard", "origin/main")
    alice.git("config", "user.email", "qa@example.com")
    alice.commit_file("src/y.py", "y\n")
    rc, err = _push(alice, "HEAD:main")
    assert rc == 1 and "by tester: src/y.py is outside role 'tests'" in err, err
    alice.git("reset", "-q", "--hard", "origin/main")
    alice.commit_file("tests/test_y.py", "y\n")
    assert _push(alice, "HEAD:main")[0] == 0

    # Under gitolite a trailer naming an agent the user may not act as counts for nothing:
    # the user's own role applies.
    alice.git("config", "user.email", "alice@example.com")
    alice.extra["GL_USER"] = "tester"
    alice.commit_file("src/z.py", "z\n", message="z\n\nGitcoord-Agent: alice")
    rc, err = _push(alice, "HEAD:main")
    assert rc == 1 and "by tester: src/z.py is outside role 'tests'" in err, err
    alice.extra["GL_USER"] = "alice"
    assert _push(alice, "HEAD:main")[0] == 0  # alice has no role
    del alice.extra["GL_USER"]

    # Warn mode passes with a warning; monitor says nothing.
    _policy(alice, ROLES + '\n[checks]\nroles = "warn"\n')
    alice.commit_file("src/w.py", "w\n", message="w\n\nGitcoord-Agent: tester")
    rc, err = _push(alice, "HEAD:main")
    assert rc == 0 and "warning (allowed: the check is in warn mode)" in err, err
    assert "src/w.py is outside role 'tests'" in err
    _policy(alice, ROLES + '\n[checks]\nroles = "monitor"\n')
    alice.commit_file("src/m.py", "m\n", message="m\n\nGitcoord-Agent: tester")
    rc, err = _push(alice, "HEAD:main")
    assert rc == 0 and "gitcoord" not in err, err


def test_a_stale_push_to_a_deploy_branch_is_refused_by_the_server(
    bare: Path, alice: Agent, env: dict[str, str]
) -> None:
    _policy(alice, '[sync]\ndeploy = ["release/*"]\n')
    _install(bare, env)
    alice.git("push", "-q", "--no-verify", "origin", "HEAD:refs/heads/release/1")
    deployed = _tip(bare, "release/1")
    for name in ("a", "b"):
        alice.commit_file(f"docs/{name}.md", name)
        alice.git("push", "-q", "--no-verify", "origin", "HEAD:main")

    # A fast-forward of release/1 to a commit two behind main.
    alice.git("checkout", "-q", "-b", "release", deployed)
    alice.commit_file("docs/fix.md", "fix\n")
    rc, err = _push(alice, "HEAD:release/1")
    assert rc == 1, err
    assert (
        "gitcoord: refused refs/heads/release/1: this push moves release/1 (deploy branch "
        "'release/*') to a commit 2 commit(s) behind origin/main"
    ) in err
    assert f"(it lacks main's tip {_tip(bare)[:12]})" in err
    assert "fix: git fetch origin && git merge origin/main" in err
    assert _tip(bare, "release/1") == deployed
    # Creating a deploy branch at a stale commit is the same.
    rc, err = _push(alice, "HEAD:refs/heads/release/2")
    assert rc == 1 and "moves release/2 (deploy branch 'release/*')" in err, err

    # Once it contains main's tip it passes.
    alice.git("merge", "-q", "--no-edit", "origin/main")
    rc, err = _push(alice, "HEAD:release/1", "HEAD:refs/heads/release/2")
    assert rc == 0, err
    # With [checks] sync = "warn" a stale push passes, told.
    alice.git("checkout", "-q", "main")
    _policy(alice, '[sync]\ndeploy = ["release/*"]\n\n[checks]\nsync = "warn"\n')
    rc, err = _push(alice, f"{deployed}:refs/heads/release/3")
    assert rc == 0 and "warning (allowed: the check is in warn mode)" in err, err
    assert "3 commit(s) behind origin/main" in err


def test_the_base_branch_itself_is_never_refused_as_a_deploy(
    bare: Path, alice: Agent, env: dict[str, str]
) -> None:
    # Every branch is a deploy branch, main is not protected (server or toml): rewinding
    # main leaves it "behind" its own old tip, which is no deploy from a stale branch.
    _install(bare, env, "--protect-only", "stable")
    _policy(alice, '[sync]\nprotected = ["stable"]\ndeploy = ["*"]\n')
    alice.commit_file("docs/a.md", "a\n")
    alice.git("push", "-q", "--no-verify", "origin", "HEAD:main")
    rc, err = _push(alice, "--force", "HEAD~1:main")
    assert rc == 0, err
    assert _tip(bare) == alice.git("rev-parse", "HEAD~1").strip()
    rc, err = _push(alice, "HEAD~2:refs/heads/stale")  # another branch is a deploy
    assert rc == 1 and "moves stale (deploy branch '*')" in err, err


def test_install_protect_adds_even_on_the_first_install_and_protect_only_replaces(
    bare: Path, alice: Agent, env: dict[str, str]
) -> None:
    first = gitcoord_server(env, "install", str(bare), "--protect", "release/*")
    assert first.rc == 0, first.err
    assert "protected: main, release/* (the server's list;" in first.out
    # The repro: main keeps its protection, so dropping a commit from it is refused.
    alice.commit_file("docs/a.md", "a\n")
    alice.git("push", "-q", "--no-verify", "origin", "HEAD:main")
    rc, err = _push(alice, "--force", "HEAD~1:main")
    assert rc == 1 and "main is protected ([sync] protected)" in err, err

    more = gitcoord_server(env, "install", str(bare), "--protect", "hotfix/*", "--json")
    assert more.json()["settings"]["protected"] == ["main", "release/*", "hotfix/*"]
    only = gitcoord_server(env, "install", str(bare), "--protect-only", "stable", "--json")
    assert only.rc == 0, only.err
    assert only.json()["settings"]["protected"] == ["stable"]
    plain = gitcoord_server(env, "install", str(bare), "--protect-only", "a", "--protect-only", "b")
    assert "protected: a, b (the server's list;" in plain.out

    both = gitcoord_server(env, "install", str(bare), "--protect-only", "x", "--protect", "y")
    assert both.rc == 2 and "cannot be combined with --protect or --unprotect" in both.err
    empty = gitcoord_server(env, "install", str(bare), "--protect", "")
    assert empty.rc == 2 and "'' is not a branch pattern" in empty.err
    kept = gitcoord_server(env, "install", str(bare), "--json")
    assert kept.json()["settings"]["protected"] == ["a", "b"]
