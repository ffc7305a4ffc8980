"""`gitcoord sync-check [-- CMD]` end to end: real clones of a bare file:// remote, the real
CLI. Not in sync (behind the base tip, unpushed commits, a dirty tree) exits 75 and never
runs CMD; in sync, CMD's exit status is passed through as a shell gives it."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.gitenv import Agent
from tests.hookenv import Team, commit, make_team, write

NOT_IN_SYNC = 75


@pytest.fixture
def team(tmp_path: Path, env: dict[str, str]) -> Team:
    return make_team(tmp_path, env)


def pushed_by_another(team: Team, rel: str = "docs/new.md") -> None:
    """Someone else moves main on: every other clone is now one commit behind."""
    other = team.join("carol", hooks=False, ack=False)
    other.commit_file(rel)
    other.git("push", "-q", "--no-verify", "origin", "HEAD:main")


def test_behind_refused_with_its_own_code_and_the_command_not_run(team: Team) -> None:
    alice, bob = team.join("alice"), team.join("bob")
    assert commit(alice, "one", ("docs/a.md", "1\n")).rc == 0
    assert alice.run("git", "push", "-q", "origin", "main").rc == 0
    marker = bob.path.parent / "deployed"  # outside the tree: not a dirty path
    behind = bob.gitcoord("sync-check", "--", "touch", str(marker))
    assert (behind.rc, behind.out) == (NOT_IN_SYNC, "")
    assert behind.err == (
        "gitcoord: HEAD is 1 commit(s) behind origin/main; not running the command\n"
        "  fix: git pull --rebase origin main\n"
    )
    assert not marker.exists()
    failing = bob.gitcoord("sync-check", "--", "sh", "-c", "exit 1")
    assert failing.rc == NOT_IN_SYNC  # not in sync: never the command's 1

    assert bob.run("git", "pull", "-q", "--rebase", "origin", "main").rc == 0
    ran = bob.gitcoord("sync-check", "--", "sh", "-c", f"touch {marker}; exit 1")
    assert (ran.rc, ran.out, ran.err) == (1, "in sync with origin/main\n", "")
    assert marker.exists()  # the command ran, and its 1 stayed 1


def test_dirty_tree_refused_listing_five_paths(team: Team) -> None:
    alice = team.join("alice", hooks=False, ack=False)
    write(alice, ".gitignore", "build/\n")
    alice.git("add", ".gitignore")
    alice.git("commit", "-q", "--no-verify", "-m", "ignore build")
    alice.git("push", "-q", "--no-verify", "origin", "HEAD:main")
    write(alice, "build/out.bin", "ignored\n")  # ignored: not dirty
    assert alice.gitcoord("sync-check").rc == 0

    write(alice, "src/api.py", "changed, not staged\n")
    refused = alice.gitcoord("sync-check")
    assert refused.rc == NOT_IN_SYNC
    assert refused.err == (
        "gitcoord: the working tree has 1 uncommitted change(s): src/api.py; not in sync\n"
        "  fix: commit them (or git stash -u, or add them to .gitignore)\n"
    )
    write(alice, "src/db.py", "staged\n")
    alice.git("add", "src/db.py")
    alice.git("rm", "-q", "docs/guide.md")
    for rel in ("a.txt", "b.txt", "new/c.txt"):
        write(alice, rel, "untracked\n")
    marker = alice.path.parent / "deployed"
    many = alice.gitcoord("sync-check", "--", "touch", str(marker))
    assert many.rc == NOT_IN_SYNC and not marker.exists()
    # git's order: tracked entries first, then untracked; an untracked directory once.
    assert many.err.startswith(
        "gitcoord: the working tree has 6 uncommitted change(s): docs/guide.md, src/api.py, "
        "src/db.py, a.txt, b.txt and 1 more; not running the command\n"
    ), many.err

    allowed = alice.gitcoord("sync-check", "--allow-dirty", "--", "touch", str(marker))
    assert allowed.rc == 0, allowed.err
    assert marker.exists()


def test_unpushed_commits_refused_until_pushed(team: Team) -> None:
    alice = team.join("alice", hooks=False, ack=False)
    alice.commit_file("src/api.py", "one\n")
    alice.commit_file("src/api.py", "two\n")
    marker = alice.path.parent / "deployed"
    refused = alice.gitcoord("sync-check", "--", "touch", str(marker))
    assert (refused.rc, refused.err) == (
        NOT_IN_SYNC,
        "gitcoord: HEAD has 2 commit(s) not pushed to origin; not running the command\n"
        "  fix: git push\n",
    )
    assert not marker.exists()
    allowed = alice.gitcoord("sync-check", "--allow-unpushed", "--", "touch", str(marker))
    assert allowed.rc == 0, allowed.err
    assert allowed.out == "in sync with origin/main (allowed: 2 unpushed commit(s))\n"
    assert marker.exists()

    # Pushed to another branch of the remote counts as pushed: the remote has the commits.
    alice.git("switch", "-q", "-c", "feature")
    alice.git("push", "-q", "--no-verify", "origin", "feature")
    assert alice.gitcoord("sync-check").rc == 0


def test_every_reason_named_with_its_fix_in_the_order_to_fix_them(team: Team) -> None:
    alice = team.join("alice", hooks=False, ack=False)
    alice.commit_file("src/api.py", "mine\n")
    write(alice, "notes.txt", "untracked\n")
    pushed_by_another(team)
    refused = alice.gitcoord("sync-check")
    assert (refused.rc, refused.out) == (NOT_IN_SYNC, "")
    assert refused.err == (
        "gitcoord: not in sync (3 reasons); not in sync:\n"
        "  the working tree has 1 uncommitted change(s): notes.txt\n"
        "    fix: commit them (or git stash -u, or add them to .gitignore)\n"
        "  HEAD is 1 commit(s) behind origin/main\n"
        "    fix: git pull --rebase origin main\n"
        "  HEAD has 1 commit(s) not pushed to origin\n"
        "    fix: git push\n"
    )
    both = alice.gitcoord("sync-check", "--allow-dirty", "--allow-unpushed")
    assert both.rc == NOT_IN_SYNC  # no flag allows being behind
    assert both.err.startswith("gitcoord: HEAD is 1 commit(s) behind origin/main; not in sync\n")


def test_json_reports_the_state_and_every_reason(team: Team) -> None:
    alice = team.join("alice", hooks=False, ack=False)
    expected = {"in_sync": True, "remote": "origin", "base": "main", "behind": 0}
    clean = {"unpushed": 0, "dirty": [], "dirty_count": 0}
    in_sync = alice.gitcoord("sync-check", "--json")
    assert in_sync.rc == 0, in_sync.err
    not_run = {"command": None, "ran": False, "exit_code": None}
    assert in_sync.json() == {**expected, **clean, **not_run}

    alice.commit_file("src/api.py", "mine\n")
    write(alice, "notes.txt", "untracked\n")
    pushed_by_another(team)
    command = ["sh", "-c", "echo deployed"]
    refused = alice.gitcoord("sync-check", "--json", "--", *command)
    assert refused.rc == NOT_IN_SYNC
    reasons = [
        {
            "message": "the working tree has 1 uncommitted change(s): notes.txt",
            "fix": "commit them (or git stash -u, or add them to .gitignore)",
        },
        {
            "message": "HEAD is 1 commit(s) behind origin/main",
            "fix": "git pull --rebase origin main",
        },
        {"message": "HEAD has 1 commit(s) not pushed to origin", "fix": "git push"},
    ]
    assert refused.json() == {
        **expected,
        "in_sync": False,
        "behind": 1,
        "unpushed": 1,
        "dirty": ["notes.txt"],
        "dirty_count": 1,
        "command": command,
        "ran": False,
        "exit_code": None,
        "error": {
            "message": "; ".join(r["message"] for r in reasons) + "; not running the command",
            "fix": "; then ".join(r["fix"] for r in reasons),
            "exit_code": NOT_IN_SYNC,
            "reasons": reasons,
        },
    }
    assert refused.err.startswith("gitcoord: not in sync (3 reasons); not running the command:")

    alice.git("pull", "-q", "--rebase", "origin", "main")
    command = ["sh", "-c", "echo deployed; exit 3"]
    ran = alice.gitcoord(
        "sync-check", "--json", "--allow-dirty", "--allow-unpushed", "--", *command
    )
    assert ran.rc == 3
    assert ran.json() == {
        **expected,
        "unpushed": 1,
        "dirty": ["notes.txt"],
        "dirty_count": 1,
        "command": command,
        "ran": True,
        "exit_code": 3,
    }
    assert ran.err == "deployed\n"  # the command's output leaves stdout to the JSON


def test_a_command_not_found_or_not_executable_exits_as_a_shell_does(team: Team) -> None:
    alice = team.join("alice", hooks=False, ack=False)
    missing = alice.gitcoord("sync-check", "--", "no-such-deploy-tool", "--now")
    assert (missing.rc, missing.err) == (127, "gitcoord: no-such-deploy-tool: command not found\n")
    script = alice.path.parent / "deploy.sh"  # outside the tree: not a dirty path
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o644)
    refused = alice.gitcoord("sync-check", "--", str(script))
    assert (refused.rc, refused.err) == (
        126,
        f"gitcoord: {script}: cannot execute: Permission denied\n",
    )
    gone = alice.gitcoord("sync-check", "--json", "--", str(alice.path.parent / "gone.sh"))
    assert gone.rc == 127
    assert (gone.json()["ran"], gone.json()["exit_code"]) == (False, 127)
    assert gone.err == f"gitcoord: {alice.path.parent / 'gone.sh'}: no such file or directory\n"


def test_a_command_killed_by_a_signal_exits_128_plus_its_number(team: Team) -> None:
    alice = team.join("alice", hooks=False, ack=False)
    killed = alice.gitcoord("sync-check", "--", "sh", "-c", "kill -KILL $$")
    assert killed.rc == 128 + signal.SIGKILL


def test_sigterm_is_passed_on_to_the_command(team: Team) -> None:
    """A supervisor stopping sync-check stops the deploy the way the deploy chooses; the
    exit status is the command's."""
    alice = team.join("alice", hooks=False, ack=False)
    started, stopped = alice.path.parent / "started", alice.path.parent / "stopped"
    script = f"trap 'touch {stopped}; exit 5' TERM; touch {started}; while :; do sleep 0.1; done"
    proc = subprocess.Popen(
        ["gitcoord", "sync-check", "--", "sh", "-c", script],
        cwd=alice.path,
        env=alice.environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started.exists()
    proc.send_signal(signal.SIGTERM)  # to sync-check alone, as a supervisor may
    _, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (5, b"")
    assert stopped.exists()


def test_a_clone_with_hooks_and_acknowledged_rules_is_clean(team: Team) -> None:
    """gitcoord's own files (hooks, acknowledgement, snapshot) are not dirty paths."""
    alice: Agent = team.join("alice")
    assert alice.claim("src/api.py").rc == 0
    assert commit(alice, "edit", ("src/api.py", "mine\n")).rc == 0
    assert alice.run("git", "push", "-q", "origin", "main").rc == 0
    res = alice.gitcoord("sync-check", "--json")
    assert res.rc == 0, res.err
    assert (res.json()["dirty"], res.json()["unpushed"]) == ([], 0)
