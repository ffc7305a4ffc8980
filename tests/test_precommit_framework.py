"""gitcoord through the real pre-commit framework: a team repository whose
.pre-commit-config.yaml points at (a git copy of) this project, installed by `pre-commit`.

pre-commit clones the copy and pip-installs it into its own environment, so this test needs
the package index (or the local wheel cache) for gitcoord's dependencies.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.gitenv import require_tool
from tests.hookenv import BASE_CONFIG, commit, make_team

PROJECT = Path(__file__).resolve().parent.parent


MAN_PAGE = "share/man/man1/git-claim.1"  # pyproject's data-files: the build needs it


def project_copy(dest: Path, env: dict[str, str]) -> str:
    """This project's working tree as a git repository pre-commit can clone; its HEAD sha."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(PROJECT / "gitcoord", dest / "gitcoord", ignore=ignore)
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", MAN_PAGE):
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT / name, dest / name)

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=dest, env=env, check=True, capture_output=True, text=True
        ).stdout

    git("init", "-q")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "gitcoord")
    return git("rev-parse", "HEAD").strip()


def test_hooks_run_through_the_pre_commit_framework(tmp_path: Path, env: dict[str, str]) -> None:
    require_tool("pre-commit")
    source = tmp_path / "gitcoord-src"
    sha = project_copy(source, env)
    framework_config = (
        f"repos:\n- repo: {source.as_uri()}\n  rev: {sha}\n  hooks:\n"
        "  - id: gitcoord-check\n  - id: gitcoord-push\n  - id: gitcoord-trailers\n"
    )
    team = make_team(tmp_path, env, BASE_CONFIG, {".pre-commit-config.yaml": framework_config})
    alice, bob = team.join("alice"), team.join("bob", hooks=False)
    bob.extra["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    installed = bob.run(
        "pre-commit",
        "install",
        "-t",
        "pre-commit",
        "-t",
        "pre-push",
        "-t",
        "commit-msg",
        "--install-hooks",
        timeout=600,
    )
    assert installed.rc == 0, installed.out + installed.err

    assert alice.claim("src/api.py").rc == 0
    refused = commit(bob, "edit", ("src/api.py", "bob\n"))
    assert refused.rc == 1
    assert "gitcoord: refused by claims: src/api.py is claimed by alice" in refused.err
    bob.git("reset", "-q", "--hard")

    ok = commit(bob, "docs", ("docs/guide.md", "bob\n"))
    assert ok.rc == 0, ok.out + ok.err
    assert bob.git("log", "-1", "--format=%(trailers:key=Gitcoord-Agent,valueonly)") == "bob\n\n"

    assert commit(alice, "one", ("docs/a.md", "1\n")).rc == 0
    assert alice.run("git", "push", "-q", "origin", "main").rc == 0
    forced = bob.run("git", "push", "--force", "origin", "main")
    assert forced.rc != 0
    assert "refused by sync: this push to main would drop 1 commit(s)" in forced.out + forced.err
