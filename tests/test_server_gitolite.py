"""Server hooks under a real gitolite: GL_USER comes from the agent's ssh key.

gitolite runs the hooks as its own unix user, which cannot run the test's Python (it lives
under root's home). The test gives that user a Python it can run: the system interpreter
with a copy of the gitcoord package on its path, passed to `gitcoord server install --python`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import gitcoord
from tests.gitenv import Agent, base_env, require_tool
from tests.servers import BaseServer
from tests.servers.fixtures import ServerPool


def _give(path: Path, like: Path) -> None:
    """chown -R path to the owner of `like` (gitolite's user)."""
    st = like.stat()
    os.chown(path, st.st_uid, st.st_gid)
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.chown(os.path.join(root, name), st.st_uid, st.st_gid, follow_symlinks=False)


@pytest.fixture
def gitolite(server_pool: ServerPool) -> Iterator[BaseServer]:
    with server_pool.scoped("gitolite", ["alice", "bob", "lead"]) as srv:
        yield srv


def _hook_python(srv: BaseServer, where: Path) -> str:
    """A Python gitolite's user can run, that imports this gitcoord (stdlib-only hook path)."""
    system = (
        require_tool("python3") if not Path("/usr/bin/python3").exists() else "/usr/bin/python3"
    )
    lib = where / "lib"
    shutil.copytree(Path(gitcoord.__file__).parent, lib / "gitcoord")
    wrapper = where / "python"
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH="{lib}" exec {system} "$@"\n')
    wrapper.chmod(0o755)
    _give(where, srv.repo_path("team").parent)
    return str(wrapper)


def _agent(srv: BaseServer, name: str, url: str, tmp: Path) -> Agent:
    env = {**base_env(tmp / "home"), **srv.client_env(name)}
    dest = tmp / "agents" / name
    subprocess.run(["git", "clone", "-q", url, str(dest)], env=env, check=True, capture_output=True)
    return Agent(name=name, path=dest, env=env)


def hooked_repo(srv: BaseServer, tmp_path: Path, *install: str) -> str:
    """A new repository `team` under gitolite with gitcoord's server hooks (`install`: more
    options of `gitcoord server install`); its URL."""
    url = srv.create_repo("team")
    repo = srv.repo_path("team")
    python = _hook_python(srv, repo.parent.parent / f"{repo.name}-hook-python")
    # The repository belongs to gitolite's user; root installs the hooks into it.
    env = {
        **base_env(tmp_path / "admin-home"),
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "safe.directory",
        "GIT_CONFIG_VALUE_0": "*",
    }
    res = subprocess.run(
        ["gitcoord", "server", "install", str(repo), *install, "--python", python],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    _give(repo, repo.parent)
    return url


def test_forged_claim_refused_and_breaking_needs_admin_under_gitolite(
    gitolite: BaseServer, tmp_path: Path
) -> None:
    url = hooked_repo(gitolite, tmp_path, "--admin", "lead")
    alice, bob, lead = (_agent(gitolite, n, url, tmp_path) for n in ("alice", "bob", "lead"))

    bob.extra["GITCOORD_AGENT"] = "alice"  # bob's key, alice's name: a forgery
    forged = bob.claim("src/api.py")
    assert forged.rc == 1, forged.err
    assert "in the name of alice, but you are bob" in forged.err
    assert "Traceback" not in forged.err
    assert alice.claim("--json").json()["claims"] == []

    assert alice.claim("src/api.py", "-r", "mine").rc == 0
    bob.extra["GITCOORD_AGENT"] = "bob"
    refused = bob.claim("--break", "src/api.py", "-r", "want it")
    assert refused.rc == 1 and "needs a server admin; you are bob" in refused.err
    broken = lead.claim("--break", "src/api.py", "-r", "alice is away")
    assert broken.rc == 0, broken.err
    assert lead.claim("--json").json()["claims"] == []
