"""`[checks] fresh`: claiming a path that the base branch changed after HEAD's merge base
names those commits and the fix, per mode (off | monitor | warn | enforce), end to end: real
clones of a bare file:// remote, the real `git claim`, the claims read from the remote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitcoord.core.change import CommitPaths
from gitcoord.core.paths import ClaimPath
from gitcoord.policy.freshness import Base, finding, stale_paths
from tests.gitenv import Agent, base_env, clone, make_bare
from tests.remote_state import held_on_server

pytestmark = pytest.mark.transports("file")

WHY = "work on an old copy of a path conflicts with the base's newer commits, or undoes them"


def _bob_changes(bob: Agent, *paths: str, subject: str = "bob: faster api") -> str:
    """Bob pushes one commit changing `paths` to main; its OID."""
    for path in paths:
        target = bob.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"{path} by bob\n")
        bob.git("add", "--", path)
    bob.git("commit", "-q", "--no-verify", "-m", subject)
    bob.git("push", "-q", "--no-verify", "origin", "HEAD:main")
    return bob.git("rev-parse", "HEAD").strip()


def _warning(path: str, oid: str, subject: str = "bob: faster api") -> str:
    return (
        f"gitcoord: warning by fresh: {path} changed on origin/main after your HEAD's merge "
        f'base, in 1 commit: {oid[:12]} "{subject}"\n'
        f"  why: {WHY}\n"
        "  fix: git pull --rebase origin main\n"
    )


def test_warn_by_default_grants_and_names_the_commit_and_the_fix(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    oid = _bob_changes(bob, "src/api.py")
    res = alice.claim("src/api.py")
    assert res.rc == 0, res.err
    assert res.out.startswith("claimed src/api.py (write, expires in ")
    assert res.err == _warning("src/api.py", oid)
    assert [(a, p) for a, p, _ in held_on_server(served_repo)] == [("alice", "src/api.py")]
    # Monitor and warn record the finding in the clone's findings log.
    log = (alice.path / ".git" / "gitcoord" / "findings.log").read_text().splitlines()
    entry = json.loads(log[-1])
    assert (entry["check"], entry["mode"], entry["path"], entry["hook"]) == (
        "fresh",
        "warn",
        "src/api.py",
        "claim",
    )


def test_a_directory_claim_names_the_changed_files_commits_a_free_path_is_silent(
    alice: Agent, bob: Agent
) -> None:
    first = _bob_changes(bob, "src/db.py", subject="bob: db")
    second = _bob_changes(bob, "src/new.py", "docs/guide.md", subject="bob: new\x1b[31m")
    res = alice.claim("src/", "README.md")
    assert res.rc == 0, res.err
    assert res.err == (
        "gitcoord: warning by fresh: src/ changed on origin/main after your HEAD's merge "
        f'base, in 2 commits: {second[:12]} "bob: new\\x1b[31m", {first[:12]} "bob: db"\n'
        f"  why: {WHY}\n"
        "  fix: git pull --rebase origin main\n"
    )
    quiet = alice.claim("README.md", "--mode", "read")
    assert (quiet.rc, quiet.err) == (0, "")


def test_enforce_refuses_before_pushing_anything(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    alice.set_policy('[checks]\nfresh = "enforce"\n')  # a local commit: alice has diverged
    oid = _bob_changes(bob, "src/api.py")
    res = alice.claim("src/api.py")
    assert res.rc == 1
    assert res.out == ""
    assert res.err == (
        'gitcoord: refused by [checks] fresh = "enforce": src/api.py changed on origin/main '
        f'after your HEAD\'s merge base, in 1 commit: {oid[:12]} "bob: faster api"\n'
        "  nothing was claimed\n"
        "  fix: git pull --rebase origin main, then claim again\n"
    )
    assert held_on_server(served_repo) == []
    check = alice.claim("--check", "src/api.py", "--json")
    assert check.rc == 1
    assert check.json()["free"] is True
    assert [(s["path"], s["mode"], s["count"]) for s in check.json()["stale"]] == [
        ("src/api.py", "enforce", 1)
    ]
    assert "refused by [checks] fresh" in check.err
    # Once rebased, the claim goes through without a word.
    alice.git("pull", "-q", "--rebase", "origin", "main")
    again = alice.claim("src/api.py")
    assert (again.rc, again.err) == (0, "")
    assert [(a, p) for a, p, _ in held_on_server(served_repo)] == [("alice", "src/api.py")]


def test_off_is_silent_monitor_records_without_a_word(alice: Agent, bob: Agent) -> None:
    oid = _bob_changes(bob, "src/api.py")
    alice.set_policy('[checks]\nfresh = "off"\n')
    off = alice.claim("src/api.py", "--json")
    assert (off.rc, off.err, off.json()["stale"]) == (0, "", [])
    alice.set_policy('[checks]\nfresh = "monitor"\n')
    monitor = alice.claim("src/db.py", "src/api.py", "--mode", "read", "--json")
    assert (monitor.rc, monitor.err) == (0, "")
    assert monitor.json()["stale"] == [
        {
            "path": "src/api.py",
            "base": "origin/main",
            "mode": "monitor",
            "count": 1,
            "commits": [{"oid": oid, "subject": "bob: faster api"}],
            "fix": "git pull --rebase origin main",
        }
    ]


def test_json_and_check_carry_the_finding_in_warn_mode(alice: Agent, bob: Agent) -> None:
    oid = _bob_changes(bob, "src/api.py")
    check = alice.claim("--check", "src/api.py")
    assert (check.rc, check.out) == (0, "free: src/api.py\n")
    assert check.err == _warning("src/api.py", oid)
    res = alice.claim("src/api.py", "--json")
    assert res.rc == 0, res.err
    (stale,) = res.json()["stale"]
    assert (stale["path"], stale["commits"][0]["oid"], stale["mode"]) == ("src/api.py", oid, "warn")
    assert res.err == _warning("src/api.py", oid)  # standard output is the JSON's


def test_a_hold_warns_on_standard_error(alice: Agent, bob: Agent) -> None:
    oid = _bob_changes(bob, "src/api.py")
    res = alice.claim("src/api.py", "--", "echo", "ran")
    assert res.rc == 0, res.err
    assert res.out == "ran\n"
    assert _warning("src/api.py", oid) in res.err


def test_no_base_on_the_remote_is_silent_even_under_enforce(alice: Agent, bob: Agent) -> None:
    _bob_changes(bob, "src/api.py")
    alice.set_policy('[remote]\nbase = "develop"\n[checks]\nfresh = "enforce"\n')
    res = alice.claim("src/api.py")
    assert (res.rc, res.err) == (0, "")
    alice.set_policy('[remote]\nbase = "develop"\n')  # warn: the base rides in the claim's fetch
    again = alice.claim("src/db.py")
    assert (again.rc, again.err) == (0, "")


def test_a_remote_without_branches_or_head_is_silent(tmp_path: Path) -> None:
    env = base_env(tmp_path / "home")
    bare = make_bare(tmp_path / "empty.git", env)
    alice = clone(f"file://{bare}", tmp_path / "alice", "alice", env)
    unborn = alice.claim("src/api.py")  # no commit here either
    assert (unborn.rc, unborn.err) == (0, "")
    alice.commit_file("src/api.py")
    res = alice.claim("src/db.py", "--json")
    assert (res.rc, res.err, res.json()["stale"]) == (0, "", [])


def test_a_bad_mode_names_the_key(alice: Agent) -> None:
    alice.set_policy('[checks]\nfresh = "loud"\n')
    res = alice.claim("src/api.py")
    assert res.rc == 2
    assert "gitcoord.toml:2: checks.fresh: expected one of off, monitor, warn, enforce" in res.err


def test_a_pattern_claim_names_the_commits_of_the_files_it_matches(
    alice: Agent, bob: Agent
) -> None:
    oids = [_bob_changes(bob, f"src/m{i}.py", subject=f"bob: m{i}") for i in range(7)]
    _bob_changes(bob, "src/notes.txt", subject="bob: notes")  # not matched
    res = alice.claim("src/*.py")
    assert res.rc == 0, res.err
    named = ", ".join(f'{o[:12]} "bob: m{i}"' for i, o in reversed(list(enumerate(oids))))
    newest = named.split(", ")[:5]
    assert res.err.splitlines()[0] == (
        "gitcoord: warning by fresh: :(glob)src/*.py changed on origin/main after your "
        f"HEAD's merge base, in 7 commits: {', '.join(newest)} and 2 more"
    )


def test_with_a_separate_coordination_remote_the_base_comes_from_origin(
    alice: Agent, bob: Agent, tmp_path: Path
) -> None:
    coord = make_bare(tmp_path / "coord.git", alice.env)
    alice.set_policy(f'[remote]\nurl = "file://{coord}"\n')
    oid = _bob_changes(bob, "src/api.py")
    res = alice.claim("src/api.py")
    assert res.rc == 0, res.err
    assert res.err == _warning("src/api.py", oid)
    assert [(a, p) for a, p, _ in held_on_server(coord)] == [("alice", "src/api.py")]
    alice.set_policy(f'[remote]\nurl = "file://{coord}"\n[checks]\nfresh = "enforce"\n')
    refused = alice.claim("src/db.py", "src/api.py", "--mode", "read")
    assert refused.rc == 1
    assert "refused by [checks] fresh" in refused.err
    assert [(a, p) for a, p, _ in held_on_server(coord)] == [("alice", "src/api.py")]


def test_the_rule_counts_covered_files_once_per_commit_and_says_when_it_read_only_some() -> None:
    commits = [
        CommitPaths("a" * 40, "two files", ("src/a.py", "src/b.py")),
        CommitPaths("b" * 40, "docs", ("docs/x.md",)),
        *(CommitPaths(f"{i:040x}", f"c{i}", ("src/a.py",)) for i in range(6)),
    ]
    claimed = [ClaimPath("src", True), ClaimPath("docs/y.md"), ClaimPath("src", True)]
    (stale,) = stale_paths(claimed, commits)
    assert stale.path == ClaimPath("src", True) and len(stale.commits) == 7
    base = Base("origin/main", "git pull --rebase origin main", partial=True)
    assert finding(stale, "warn", base).message == (
        "src/ changed on origin/main after your HEAD's merge base, in 7+ commits: "
        + ", ".join(f'{c.oid[:12]} "{c.subject}"' for c in stale.commits[:5])
        + " and at least 2 more"
    )
