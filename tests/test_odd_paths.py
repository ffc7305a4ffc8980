"""Odd paths are claimable and exclusive; paths outside the repository are usage errors."""

from __future__ import annotations

import pytest

from tests.gitenv import Agent

ODD = [
    "dir with spaces/file name.txt",
    "naïve/日本語/ファイル.py",
    "weird/~^:?*[\\.txt",
    ".hidden/.env",
    "locks/branch.lock",
    "Mixed/Case/File.PY",
    "/".join(["d" * 60] * 7) + "/" + "f" * 20,  # 450 bytes
    "-dash-first.txt",
    'quote\'d "file".md',
]


@pytest.mark.parametrize("path", ODD, ids=range(len(ODD)))
def test_odd_path_is_claimable_and_exclusive(alice: Agent, bob: Agent, path: str) -> None:
    typed = f"./{path}" if path.startswith("-") else path  # `--` starts a command to hold for
    if any(ch in path for ch in "*?["):  # a new name with wildcards is a pattern claim
        for agent in (alice, bob):
            (agent.path / path).parent.mkdir(parents=True, exist_ok=True)
            (agent.path / path).write_text("odd\n")
    ok = alice.claim(typed)
    assert ok.rc == 0, ok.err
    listing = alice.claim("--json").json()["claims"]
    assert [c["path"] for c in listing] == [path]
    refused = bob.claim(typed)
    assert refused.rc == 1, refused.err
    assert f"{path} is claimed by alice" in refused.err
    assert "Traceback" not in refused.err
    if path.startswith("-"):  # the fix is a command that works as written
        assert f"(`git claim -d ./{path}`)" in refused.err
    assert alice.claim("-d", typed).rc == 0
    assert bob.claim(typed).rc == 0


def test_case_differs_means_different_paths(alice: Agent, bob: Agent) -> None:
    assert alice.claim("Mixed/File.py").rc == 0
    assert bob.claim("mixed/file.py").rc == 0


def test_outside_and_inside_git_dir_are_usage_errors(alice: Agent) -> None:
    for bad in ("../x", "../../etc/passwd", "/tmp", ".git/config", ""):
        res = alice.claim(bad)
        assert res.rc == 2, (bad, res.err)
        assert "Traceback" not in res.err


def test_bad_config_names_key_and_line(alice: Agent) -> None:
    alice.set_policy('[claims]\nttl = "1h"\nttll = "2h"\n')
    res = alice.claim("src/api.py")
    assert res.rc == 2
    assert "gitcoord.toml:3: claims.ttll: unknown key" in res.err
    assert "(as committed at HEAD, the policy in force)" in res.err
    alice.set_policy("[claims\n")
    res = alice.claim()
    assert res.rc == 2 and "not valid TOML" in res.err


def test_identity_order_and_missing_identity(alice: Agent) -> None:
    alice.git("config", "gitcoord.agent", "alice-bot")
    alice.extra["GITCOORD_AGENT"] = ""
    env = alice.environ()
    env.pop("GITCOORD_AGENT")
    import subprocess

    res = subprocess.run(
        ["git", "claim", "src/api.py", "--json"],
        cwd=alice.path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    assert '"agent": "alice-bot"' in res.stdout
    alice.git("config", "--unset", "gitcoord.agent")
    alice.git("config", "--unset", "user.email")
    alice.run("git", "config", "--global", "--unset", "user.email")  # the server's agent HOME
    res = subprocess.run(
        ["git", "claim", "src/db.py"], cwd=alice.path, env=env, capture_output=True, text=True
    )
    assert res.returncode == 2 and "no agent identity" in res.stderr


def test_not_a_repository(alice: Agent) -> None:
    res = alice.claim("x", cwd=alice.path.parent)
    assert res.rc == 2 and "not inside a git working tree" in res.err
