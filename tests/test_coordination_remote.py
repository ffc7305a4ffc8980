"""A separate coordination remote (`[remote] url = ...`): claims live in a small dedicated bare
repository while the code stays in origin, both on one ssh server reached through each agent's
own ~/.ssh/config Host alias."""

from __future__ import annotations

import pytest

from tests.gitenv import Agent
from tests.remote_state import held_on_server, remote_log
from tests.servers import BaseServer


@pytest.mark.transports("ssh")
def test_claims_go_to_the_coordination_remote_code_to_origin(
    alice: Agent, bob: Agent, remote_server: BaseServer
) -> None:
    coord_url = remote_server.create_repo("coord")
    assert coord_url.startswith("ssh://gitcoord-ssh/")
    (alice.path / "gitcoord.toml").write_text(f'[remote]\nurl = "{coord_url}"\n')
    alice.git("add", "gitcoord.toml")
    alice.git("commit", "-q", "--no-verify", "-m", "coordinate through coord.git")
    alice.git("push", "-q", "--no-verify", "origin", "HEAD:main")
    bob.git("pull", "-q", "origin", "main")

    ok = alice.claim("src/api.py", "-r", "auth")
    assert ok.rc == 0, ok.err
    refused = bob.claim("src/api.py")
    assert refused.rc == 1 and "src/api.py is claimed by alice" in refused.err
    assert bob.claim("docs/").rc == 0

    code, coord = remote_server.repo_path("team"), remote_server.repo_path("coord")
    assert held_on_server(coord) == [("alice", "src/api.py", "write"), ("bob", "docs/", "write")]
    assert held_on_server(code) == [] and remote_log(code) == []
    claimed = [e.agent for e in remote_log(coord) if e.event == "claim"]
    assert sorted(claimed) == ["alice", "bob"]
    status = alice.gitcoord("status", "--json").json()
    assert status["remote"] == coord_url
    assert [c["path"] for c in status["others"]] == ["docs/"]

    alice.commit_file("src/api.py", "fixed\n")
    alice.git("push", "-q", "--no-verify", "origin", "HEAD:main")  # code still goes to origin
    assert alice.claim("-d", "src/api.py", "--commit", "HEAD").rc == 0
    assert held_on_server(coord) == [("bob", "docs/", "write")]
    refs = alice.run("git", "ls-remote", coord_url).out
    assert "refs/heads/" not in refs  # the coordination remote holds claims only
