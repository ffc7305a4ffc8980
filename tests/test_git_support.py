"""What gitcoord needs of git: a git at least MIN_GIT (exit 3 naming both versions and the
binary, checked once per git binary), and a SHA-1 repository (a SHA-256 one is refused up
front with exit 2, instead of an internal error after writing objects)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from gitcoord.git.support import MIN_GIT, VERDICT_FILE
from tests.gitenv import Agent, base_env
from tests.remote_state import held_on_server

NEED = ".".join(map(str, MIN_GIT))

# A git that says it is 2.20.0 and, as that git would, rejects the fetch flags added later;
# every call of `git version` is logged.
_OLD_GIT = r"""#!/bin/sh
echo "$*" >>'@LOG@'
case "$1" in
  version | --version) echo "git version @VERSION@"; exit 0 ;;
esac
if [ '@VERSION@' = 2.20.0 ]; then
  for a in "$@"; do
    case "$a" in
      --no-write-fetch-head | --no-auto-maintenance)
        echo "error: unknown option \`${a#--}'" >&2; exit 129 ;;
    esac
  done
fi
exec '@REAL@' "$@"
"""


def wrap_git(agent: Agent, folder: Path, version: str) -> Path:
    """A `git` first on the agent's PATH that reports `version`; its calls are logged."""
    real = shutil.which("git", path=agent.env["PATH"])
    assert real
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "calls.log"
    script = folder / "git"
    text = _OLD_GIT.replace("@REAL@", real).replace("@LOG@", str(log))
    script.write_text(text.replace("@VERSION@", version))
    script.chmod(0o755)
    agent.extra["PATH"] = f"{folder}:{agent.env['PATH']}"
    return log


def version_calls(log: Path) -> int:
    return sum(line.split()[:1] == ["version"] for line in log.read_text().splitlines())


@pytest.mark.transports("file")
def test_an_old_git_is_named_with_the_version_needed(alice: Agent, tmp_path: Path) -> None:
    # git-claim itself: `git claim` would put git's own exec-path before the wrapper.
    good = wrap_git(alice, tmp_path / "good", "2.39.5")
    assert alice.run("git-claim").rc == 0
    assert alice.run("git-claim").rc == 0
    assert version_calls(good) == 1  # the verdict is kept: no `git version` the second time
    verdict = alice.path / ".git" / "gitcoord" / VERDICT_FILE
    assert str(tmp_path / "good" / "git") in verdict.read_text()

    old = wrap_git(alice, tmp_path / "old", "2.20.0")
    res = alice.run("git-claim", "src/api.py")
    wanted = (
        f"gitcoord: gitcoord needs git >= {NEED}; this is git 2.20.0 ({tmp_path}/old/git), "
        "which lacks fetch --no-write-fetch-head and --no-auto-maintenance\n"
        f"  fix: install git {NEED} or newer and put it first on PATH (`git --version` shows it)\n"
    )
    assert (res.rc, res.out, res.err) == (3, "", wanted)
    assert (alice.gitcoord("status").rc, alice.gitcoord("ci").rc) == (3, 3)
    # sync-check never opens the claim store: its fetch fails on the flag, and the failure
    # is reported as the old git it is, not as an unreachable remote.
    sync = alice.gitcoord("sync-check")
    assert (sync.rc, sync.err) == (3, wanted), sync.err
    assert version_calls(old) >= 3  # an old git is never remembered as good
    del alice.extra["PATH"]
    assert alice.run("git-claim", "src/api.py").rc == 0


def sha256_clone(tmp_path: Path) -> tuple[Agent, Path]:
    """A SHA-256 bare remote, and a SHA-256 clone of it with a first commit pushed."""
    env = base_env(tmp_path / "home")
    remote, work = tmp_path / "remote.git", tmp_path / "alice"
    for args in (
        ["init", "-q", "--bare", "--object-format=sha256", str(remote)],
        ["init", "-q", "--object-format=sha256", str(work)],
        ["-C", str(work), "remote", "add", "origin", str(remote)],
        ["-C", str(work), "config", "user.email", "alice@example.com"],
        ["-C", str(work), "config", "user.name", "alice"],
    ):
        subprocess.run(["git", *args], env=env, check=True)
    agent = Agent("alice", work, env)
    agent.commit_file("src/api.py", "x\n", "seed")
    agent.git("push", "-q", "--no-verify", "origin", "HEAD:main")
    return agent, remote


def test_a_sha256_repository_is_refused_up_front(tmp_path: Path) -> None:
    alice, remote = sha256_clone(tmp_path)
    assert alice.git("rev-parse", "--show-object-format").strip() == "sha256"
    wanted = (
        "gitcoord: SHA-256 repositories are not supported yet: this repository names its "
        "objects by sha256 (extensions.objectFormat), and gitcoord writes its claims as SHA-1 "
        "commits\n"
        "  fix: use gitcoord in repositories made with git's default object format (SHA-1); "
        "here, `gitcoord hooks uninstall` removes its hooks\n"
    )
    for args in (("src/api.py",), (), ("-d", "--all")):
        res = alice.claim(*args)
        assert (res.rc, res.out, res.err) == (2, "", wanted), args
    assert alice.gitcoord("status").rc == 2
    # init too, before it writes anything (its hooks would refuse every commit)
    init = alice.gitcoord("init")
    assert (init.rc, init.err) == (2, wanted)
    assert not (alice.path / "gitcoord.toml").exists()
    assert not (alice.path / ".git" / "hooks" / "pre-commit").exists()
    assert held_on_server(remote) == []
    assert alice.run("git", "ls-remote", str(remote), "refs/claims*", "refs/claims-log*").out == ""


def test_a_sha1_clone_of_a_sha256_remote_is_told_gits_own_reason(tmp_path: Path) -> None:
    """git 2.39 clones an empty SHA-256 repository as SHA-1; the claim push then fails with
    git's real cause, which the message must carry (it quoted only "the remote end hung up
    unexpectedly")."""
    env = base_env(tmp_path / "home")
    remote, work = tmp_path / "remote.git", tmp_path / "alice"
    subprocess.run(
        ["git", "init", "-q", "--bare", "--object-format=sha256", str(remote)], env=env, check=True
    )
    subprocess.run(
        ["git", "clone", "-q", str(remote), str(work)], env=env, check=True, capture_output=True
    )
    alice = Agent("alice", work, env)
    alice.git("config", "user.email", "alice@example.com")
    res = alice.claim("src/api.py")
    assert res.rc == 3, res.out + res.err
    assert "does not support this repository's hash algorithm" in res.err, res.err
    assert "Traceback" not in res.err


@pytest.mark.transports("file")
def test_a_verdict_that_cannot_be_kept_costs_only_the_question(
    alice: Agent, tmp_path: Path
) -> None:
    """Where the verdict file cannot be written (here a directory stands in its way, as a
    read-only git dir would for any user), git is asked each time and nothing fails."""
    (alice.path / ".git" / "gitcoord" / VERDICT_FILE).mkdir(parents=True)
    log = wrap_git(alice, tmp_path / "good", "2.39.5")
    for _ in range(2):
        res = alice.run("git-claim")
        assert (res.rc, res.err) == (0, ""), res.err
    assert version_calls(log) == 2
