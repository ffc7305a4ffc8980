"""The policy in force is committed history, never the working tree (store/policy_source.py).

An agent that switches a check off in gitcoord.toml, staged or not, committed locally or
not, changes no decision: the hooks and every command read the base tip's policy as last
fetched, and a change to it is approve-tier and counts once it has landed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hookenv import BASE_CONFIG, RULES, Team, commit, make_team, run_as_human, write

GUARDED = (
    BASE_CONFIG
    + """allow_break = false

[[guard]]
paths = ["secrets/**"]
tier = "block"
why = "credentials never pass through agents"
"""
)
RELAXED = GUARDED.replace("[claims]\n", '[checks]\nguards = "off"\n\n[claims]\n').replace(
    "allow_break = false", "allow_break = true"
)


@pytest.fixture
def team(tmp_path: Path, env: dict[str, str]) -> Team:
    return make_team(tmp_path, env, GUARDED)


def _blocked(err: str) -> bool:
    return "gitcoord: refused by guards: secrets/key.pem is blocked (guard 'secrets/**')" in err


def test_switching_guards_off_in_the_same_commit_is_refused(team: Team) -> None:
    """The walk-around of issue 13: the policy edit staged with the guarded file."""
    bob = team.join("bob")
    res = commit(bob, "sneak", ("gitcoord.toml", RELAXED), ("secrets/key.pem", "KEY\n"))
    assert res.rc == 1, res.err
    assert _blocked(res.err)
    assert "why: credentials never pass through agents" in res.err
    assert "gitcoord.toml needs a human's approval (guard '/gitcoord.toml')" in res.err


def test_an_uncommitted_policy_edit_changes_no_decision(team: Team) -> None:
    bob = team.join("bob")
    write(bob, "gitcoord.toml", RELAXED)  # edited, not staged
    res = commit(bob, "key", ("secrets/key.pem", "KEY\n"))
    assert res.rc == 1 and _blocked(res.err), res.err
    bob.git("add", "gitcoord.toml")  # staged too: still the committed policy decides
    res = bob.run("git", "commit", "-q", "-m", "key")
    assert res.rc == 1 and _blocked(res.err), res.err


def test_a_policy_committed_past_the_hooks_counts_only_once_it_lands(team: Team) -> None:
    """Committed with --no-verify, HEAD switches guards off; the base tip's policy wins
    until the change is on the base branch."""
    bob = team.join("bob")
    bob.commit_file("gitcoord.toml", RELAXED, "relax the guards")
    res = commit(bob, "key", ("secrets/key.pem", "KEY\n"))
    assert res.rc == 1 and _blocked(res.err), res.err
    status = bob.gitcoord("status", "--json").json()
    assert status["policy"] == {"source": "origin/HEAD", "worktree_differs": True}
    # Landed (here: pushed past the hooks by a human), it is the policy for what follows.
    assert bob.run("git", "push", "-q", "--no-verify", "origin", "HEAD:main").rc == 0
    bob.git("fetch", "-q", "origin")
    res = bob.run("git", "commit", "-q", "-m", "key")
    assert res.rc == 0, res.err


def test_client_settings_come_from_the_committed_policy(team: Team) -> None:
    """allow_break = false on main: an uncommitted `allow_break = true` grants no break."""
    alice, bob = team.join("alice"), team.join("bob")
    assert alice.claim("src/api.py").rc == 0
    write(bob, "gitcoord.toml", RELAXED)
    res = bob.claim("--break", "src/api.py", "-r", "stuck")
    assert res.rc == 1 and "allow_break = false" in res.err, res.err
    assert alice.claim("--json").json()["claims"][0]["agent"] == "alice"


def test_an_approved_policy_change_takes_effect_after_it_lands(team: Team) -> None:
    """A human approves a relaxation; the commit carrying it is judged by the policy
    before it, so the guarded file cannot ride along."""
    bob = team.join("bob")
    write(bob, "gitcoord.toml", RELAXED)
    bob.git("add", "gitcoord.toml")
    assert run_as_human(bob, "gitcoord", "approve").rc == 0
    write(bob, "secrets/key.pem", "KEY\n")
    bob.git("add", "secrets/key.pem")
    carrying = bob.run("git", "commit", "-q", "-m", "relax")
    assert carrying.rc == 1 and _blocked(carrying.err), carrying.err
    bob.git("rm", "-q", "--cached", "secrets/key.pem")
    assert bob.run("git", "commit", "-q", "-m", "relax").rc == 0
    assert bob.run("git", "push", "-q", "origin", "HEAD:main").rc == 0
    bob.git("add", "secrets/key.pem")
    after = bob.run("git", "commit", "-q", "-m", "key")
    assert after.rc == 0, after.err


def test_a_staged_config_that_does_not_parse_is_refused(team: Team) -> None:
    bob = team.join("bob")
    typo = GUARDED.replace("allow_break", "allow_brake")
    res = commit(bob, "typo", ("gitcoord.toml", typo))
    assert res.rc == 1, res.err  # git commit's own code when its hook fails (the hook: 2)
    assert "gitcoord.toml:3: claims.allow_brake: unknown key" in res.err
    assert "(as staged)" in res.err and "Traceback" not in res.err


def test_the_rules_in_force_are_the_committed_ones(team: Team) -> None:
    """An uncommitted edit of RULES.md is neither what is acknowledged nor what the
    commit-msg hook's trailer names."""
    bob = team.join("bob")
    write(bob, "RULES.md", RULES + "3. A rule only I have.\n")
    shown = bob.gitcoord("rules", "--json").json()
    assert shown["acknowledged"] is True  # acknowledged at the committed hash
    res = commit(bob, "docs", ("docs/guide.md", "more\n"))
    assert res.rc == 0, res.err
    message = bob.git("log", "-1", "--format=%B")
    assert f"Gitcoord-Rules: {shown['hash']}" in message


def test_a_branch_cannot_name_itself_as_the_base(team: Team) -> None:
    """Where the base is comes from the base's own policy, never from HEAD's: a branch that
    sets `[remote] base` to itself (and guards off) is still judged by main's policy, in the
    hooks and in `gitcoord ci` without --base."""
    bob = team.join("bob")
    bob.git("switch", "-q", "-c", "feat")
    own = RELAXED.replace("[claims]\n", '[remote]\nbase = "feat"\n\n[claims]\n', 1)
    bob.commit_file("gitcoord.toml", own, "relax")
    bob.commit_file("secrets/key.pem", "KEY\n")
    assert bob.run("git", "push", "-q", "--no-verify", "origin", "feat").rc == 0
    status = bob.gitcoord("status", "--json").json()
    assert status["policy"]["source"] == "origin/HEAD"
    write(bob, "secrets/other.pem", "KEY\n")
    bob.git("add", "secrets/other.pem")
    res = bob.run("git", "commit", "-q", "-m", "another key")
    assert res.rc == 1 and "secrets/other.pem is blocked" in res.err, res.err
    ci = bob.gitcoord("ci", "--json")
    assert ci.rc == 1, ci.out + ci.err
    assert ci.json()["base"] == "main"
    assert any(f["path"] == "secrets/key.pem" for f in ci.json()["findings"])


def test_a_clone_of_an_empty_remote_still_reads_the_base(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """Cloned before anything was pushed, a clone has no origin/HEAD; origin/main is the
    base all the same."""
    from tests.gitenv import clone, make_bare

    bare = make_bare(tmp_path / "empty.git", env)
    early = clone(bare.as_uri(), tmp_path / "early", "early", env)
    founder = clone(bare.as_uri(), tmp_path / "founder", "founder", env)
    founder.commit_file("gitcoord.toml", GUARDED, "adopt")
    founder.git("push", "-q", "--no-verify", "origin", "HEAD:main")
    early.git("pull", "-q", "origin", "main")
    assert early.run("git", "rev-parse", "-q", "--verify", "refs/remotes/origin/HEAD").rc != 0
    early.commit_file("gitcoord.toml", RELAXED, "relax")
    assert early.gitcoord("status", "--json").json()["policy"]["source"] == "origin/main"


def test_adopting_needs_no_approval_but_changing_a_policy_in_force_does(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """With no policy in force there is nothing to protect: a human adopts gitcoord alone.
    Once it is in force, a change needs another human's approval: the committer's own does
    not count, and the refusal says so."""
    from tests.gitenv import clone, make_bare

    bare = make_bare(tmp_path / "solo.git", env)
    solo = clone(bare.as_uri(), tmp_path / "solo", "solo", env)
    solo.commit_file("README.md", "solo\n")
    solo.git("push", "-q", "origin", "HEAD:main")
    assert run_as_human(solo, "gitcoord", "init").rc == 0
    solo.git("add", "gitcoord.toml", "RULES.md")
    adopted = run_as_human(solo, "git", "commit", "-q", "-m", "Adopt gitcoord")
    assert adopted.rc == 0, adopted.err
    assert run_as_human(solo, "git", "push", "-q", "origin", "HEAD:main").rc == 0
    write(solo, "gitcoord.toml", GUARDED)
    solo.git("add", "gitcoord.toml")
    assert run_as_human(solo, "gitcoord", "approve").rc == 0
    own = run_as_human(solo, "git", "commit", "-q", "-m", "tune")
    assert own.rc == 1
    assert "an approval by the committer itself does not count" in own.err, own.err
