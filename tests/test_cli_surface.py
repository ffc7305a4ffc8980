"""The command-line surface as a new user meets it (issue 12): `--wait 3s PATH`, help and
usage errors in plain words, `git claim --help` as a man page, `--json` everywhere."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gitcoord.cli.manpage import PAGE, render
from gitcoord.core.errors import EXIT_MEANINGS
from tests.gitenv import Agent, require_tool
from tests.remote_state import held_on_server

ONE_TRANSPORT = pytest.mark.transports("file")  # about the command line, not the remote


def test_wait_with_a_space_takes_the_duration(alice: Agent, bob: Agent, served_repo: Path) -> None:
    assert bob.claim("src/api.py").rc == 0
    started = time.monotonic()
    waited = alice.claim("--wait", "3s", "src/api.py", timeout=60)
    elapsed = time.monotonic() - started
    assert waited.rc == 1, waited.err
    assert "gave up waiting" in waited.err and "bob" in waited.err
    assert 2.5 < elapsed < 30, elapsed  # 0.1.1 waited for ever here
    # 0.1.1 claimed a file named 3s elsewhere: nothing but bob's claim is on the remote.
    assert held_on_server(served_repo) == [("bob", "src/api.py", "write")]


def test_wait_before_a_path_waits_without_limit_until_released(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    assert bob.claim("src/api.py").rc == 0
    waiter = alice.spawn("git", "claim", "--wait", "src/api.py")
    try:
        time.sleep(3)
        assert waiter.poll() is None  # still waiting: no limit was taken from the path
        assert bob.claim("-d", "src/api.py").rc == 0
        out, err = waiter.communicate(timeout=60)
    finally:
        if waiter.poll() is None:
            os.kill(waiter.pid, signal.SIGKILL)
            waiter.wait()
    assert waiter.returncode == 0, err
    assert out.startswith("claimed src/api.py")
    assert held_on_server(served_repo) == [("alice", "src/api.py", "write")]


@ONE_TRANSPORT
def test_a_duration_like_word_after_wait_is_never_claimed(alice: Agent, served_repo: Path) -> None:
    for typo in ("3", "3sec", "1x"):  # a trial claimed files named 3sec and 1x
        bare = alice.claim("--wait", typo, "src/api.py")
        assert (bare.rc, bare.out) == (2, "")
        assert bare.err.startswith(f"gitcoord: invalid --wait '{typo}': expected a number with")
        assert f"duration is claimed as ./{typo}: git claim --wait ./{typo}\n" in bare.err
    assert held_on_server(served_repo) == []
    # A word that names an existing file is that file.
    (alice.path / "2024.md").write_text("x\n")
    assert alice.claim("--wait", "2024.md").rc == 0
    assert alice.claim("-d", "2024.md").rc == 0
    # As ./10m, a file named like a duration is a path.
    (alice.path / "10m").write_text("x\n")
    named = alice.claim("--wait", "./10m")
    assert named.rc == 0, named.err
    assert held_on_server(served_repo) == [("alice", "10m", "write")]


@ONE_TRANSPORT
def test_usage_errors_are_plain_sentences(alice: Agent) -> None:
    cases = {
        ("gitcoord", "init", "--ci", "jenkins"): (
            "gitcoord: invalid --ci 'jenkins': choose one of github, gitlab\n"
            "  usage: gitcoord init [OPTIONS]\n"
            "  fix: gitcoord init -h\n"
        ),
        ("gitcoord", "log", "-n", "0"): (
            "gitcoord: invalid --max-count '0': must be at least 1\n"
            "  usage: gitcoord log [OPTIONS] [PATH]\n"
            "  fix: gitcoord log -h\n"
        ),
        ("gitcoord", "stat"): (
            "gitcoord: no such command 'stat'. Did you mean 'status'?\n"
            "  usage: gitcoord [OPTIONS] COMMAND [ARGS]...\n"
            "  fix: gitcoord -h\n"
        ),
        ("gitcoord", "server", "install"): (
            "gitcoord: missing argument 'repository'\n"
            "  usage: gitcoord server install [OPTIONS] REPOSITORY\n"
            "  fix: gitcoord server install -h\n"
        ),
        ("git", "claim", "--bogus"): (
            "gitcoord: no such option: --bogus\n"
            "  usage: git claim [OPTIONS] [PATH]...\n"
            "  fix: git claim -h\n"
        ),
        ("gitcoord", "claim", "src/api.py", "--mode"): (
            "gitcoord: option '--mode' requires an argument\n"
            "  usage: gitcoord claim [OPTIONS] [PATH]...\n"
            "  fix: gitcoord claim -h\n"
        ),
    }
    for argv, expected in cases.items():
        res = alice.run(*argv)
        assert (res.rc, res.out, res.err) == (2, "", expected), argv
    as_data = alice.gitcoord("log", "-n", "x", "--json")
    assert as_data.rc == 2
    assert as_data.json() == {
        "error": {
            "message": "invalid --max-count 'x': must be a whole number",
            "fix": ("gitcoord log -h"),
            "exit_code": 2,
        }
    }


HELPS = [
    ("--help",),
    *((c, "--help") for c in ("claim", "status", "log", "init", "rules", "approve")),
    *((c, "--help") for c in ("sync-check", "ci", "hooks", "server")),
    *(("hooks", c, "-h") for c in ("install", "uninstall")),
    *(("server", c, "-h") for c in ("install", "uninstall")),
    ("task", "-h"),
    *(("task", c, "-h") for c in ("add", "list", "show", "take", "heartbeat", "done")),
    *(("task", c, "-h") for c in ("fail", "release", "reap")),
    *(("watch", "-h"), ("worker", "-h"), ("worker", "run", "-h")),
]


@ONE_TRANSPORT
def test_every_help_is_plain_complete_and_has_an_example(alice: Agent) -> None:
    for args in [*(("gitcoord", *a) for a in HELPS), ("git", "claim", "-h")]:
        res = alice.run(*args)
        assert (res.rc, res.err) == (0, ""), args
        text = res.out
        assert "Example" in text, args
        # No Python types or click braces as metavars, no summary cut short with "...".
        assert not re.search(r"<[a-z][^>]*>|\{[a-z]+\}|\[[A-Z]+\.\.\.\]\.\.\.", text), args
        assert "..." not in text.partition("Commands:")[2], args
    top = alice.gitcoord("--help").out.split("Commands:\n")[1]
    rows = [line for line in top.splitlines() if line.strip()]
    assert all(re.match(r"  [a-z-]+ +\S", row) for row in rows), rows  # one line each


@ONE_TRANSPORT
def test_git_claim_help_lists_every_exit_code(alice: Agent) -> None:
    text = alice.claim("-h").out.split("Exit codes:\n")[1]
    for code, meaning in EXIT_MEANINGS.items():
        first_words = " ".join(meaning.split()[:3])
        assert re.search(rf"^    {int(code)} +{re.escape(first_words)}", text, re.M), code


def test_hooks_install_and_uninstall_take_json(alice: Agent) -> None:
    hooks = alice.path / ".git" / "hooks"
    installed = alice.gitcoord("hooks", "install", "--json")
    assert installed.rc == 0, installed.err
    names = ["pre-commit", "pre-push", "commit-msg"]
    data = installed.json()
    assert data["hooks_dir"] == str(hooks)
    assert sorted(h["hook"] for h in data["hooks"]) == sorted(names)
    for h in data["hooks"]:
        assert Path(h["path"]) == hooks / h["hook"] and Path(h["path"]).exists()
        assert h["action"] in ("installed", "updated", "unchanged")
    removed = alice.gitcoord("hooks", "uninstall", "--json")
    assert removed.rc == 0, removed.err
    assert {h["hook"]: h["action"] for h in removed.json()["hooks"]} == dict.fromkeys(
        names, "removed"
    )
    assert not any((hooks / n).exists() for n in names)


@pytest.mark.parametrize("args", [("hooks", "install"), ("sync-check",)])
def test_json_is_no_longer_a_usage_error(alice: Agent, args: tuple[str, ...]) -> None:
    res = alice.gitcoord(*args, "--json")
    assert res.rc == 0, res.err
    assert isinstance(res.json(), dict)


def test_the_shipped_man_page_is_rendered_from_the_help() -> None:
    root = Path(__file__).resolve().parent.parent
    assert (root / PAGE).read_text(encoding="utf-8") == render(), "run python tools/gen_manpage.py"


@ONE_TRANSPORT
def test_git_claim_help_shows_the_man_page(alice: Agent, tmp_path: Path) -> None:
    """git runs `man git-claim`; man finds PREFIX/share/man/man1/git-claim.1 for a PREFIX/bin
    on PATH, where a wheel puts it (and tools/gen_manpage.py --install for an editable one)."""
    require_tool("man")
    prefix = tmp_path / "prefix"
    (prefix / "bin").mkdir(parents=True)
    root = Path(__file__).resolve().parent.parent
    written = subprocess.run(
        [sys.executable, str(root / "tools" / "gen_manpage.py"), "--install", str(prefix)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert written.returncode == 0, written.stderr
    alice.env = {k: v for k, v in alice.env.items() if k != "MANPATH"}
    alice.extra.update(
        PATH=f"{prefix / 'bin'}{os.pathsep}{alice.env['PATH']}", MANPAGER="cat", PAGER="cat"
    )
    shown = alice.claim("--help")
    assert shown.rc == 0, shown.err  # 0.3.0: "No manual entry for git-claim", exit 16
    page = " ".join(shown.out.split())  # as man justified it
    assert "GIT-CLAIM(1)" in page and "git claim [OPTIONS] [PATH]..." in page
    for code, meaning in EXIT_MEANINGS.items():
        assert f"{int(code)} {' '.join(meaning.split()[:3])}" in page, code


def test_readme_exit_codes_are_the_ones_git_claim_help_shows() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Exit codes")[1].split("\n## ")[0]
    rows = dict(re.findall(r"^\| (\d+) \| (.+) \|$", table, re.M))
    assert {int(c): m.replace("`", "") for c, m in rows.items()} == {
        int(c): m for c, m in EXIT_MEANINGS.items()
    }
