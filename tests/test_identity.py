"""Sessions (issue 10, case 4): one per working tree, generated once and stored in its git dir.

Identical sandboxes (same host name, same checkout path, same user.email, no GITCOORD_*)
used to derive the same session from host and path, so the second agent's claim on the
first's file "succeeded" as a renewal. Simulated by cloning twice at one path on this host.
"""

from __future__ import annotations

import multiprocessing
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from gitcoord.git.repo import worktree_session
from tests.gitenv import Agent, agent_env, clone
from tests.remote_state import held_on_server, remote_claims
from tests.servers import BaseServer


@dataclass
class Sandbox(Agent):
    """An agent identified only by its clone's user.email: no GITCOORD_* at all."""

    def environ(self) -> dict[str, str]:
        return {**self.env, **self.extra}


def _sandbox(remote_url: str, server: BaseServer, dest: Path) -> Sandbox:
    made = clone(remote_url, dest, "alice", agent_env(server, "alice"))
    return Sandbox(name=made.name, path=made.path, env=made.env)


def _session(agent: Agent) -> str:
    res = agent.gitcoord("status", "--json")
    assert res.rc == 0, res.err
    session: str = res.json()["session"]
    return session


def test_identical_sandboxes_are_two_holders(
    alice: Agent, remote_url: str, remote_server: BaseServer, served_repo: Path, tmp_path: Path
) -> None:
    spot = tmp_path / "sandbox" / "team"
    first = _sandbox(remote_url, remote_server, spot)
    ok = first.claim("src/api.py")
    assert ok.rc == 0, ok.err
    [mine] = first.claim("--json").json()["claims"]  # where a user finds the session id
    assert mine["agent"] == "alice@example.com"
    assert held_on_server(served_repo) == [("alice@example.com", "src/api.py", "write")]

    shutil.move(str(spot), str(tmp_path / "elsewhere"))
    second = _sandbox(remote_url, remote_server, spot)  # same host, path, email

    refused = second.claim("src/api.py")  # 0.1.1: exit 0, a silent renewal of first's claim
    assert refused.rc == 1, (refused.out, refused.err)
    # Same agent, other session: another holder, named as my other session (issue 12).
    assert f"src/api.py is claimed by your other session {mine['session']} in " in refused.err
    assert f"from here: GITCOORD_SESSION={mine['session']} git claim -d src/api.py;" in refused.err
    assert _session(second) != mine["session"]
    [held] = remote_claims(served_repo)
    assert (held.agent, held.session, str(held.path)) == (
        "alice@example.com",
        mine["session"],
        "src/api.py",
    )
    assert held.oid == mine["oid"]  # not renewed either

    # The CHANGELOG's way to release a claim made under another session id.
    second.extra["GITCOORD_SESSION"] = mine["session"]
    released = second.claim("-d", "src/api.py")
    assert released.rc == 0, released.err
    assert released.out == "released src/api.py (write)\n"
    assert held_on_server(served_repo) == []


def test_session_is_stored_once_per_working_tree(
    alice: Agent, bob: Agent, served_repo: Path, tmp_path: Path
) -> None:
    session = _session(alice)
    assert len(session) == 12 and int(session, 16) >= 0
    assert _session(alice) == session  # read back, not made again
    stored = list((alice.path / ".git" / "gitcoord").glob("session-*"))
    assert [p.read_text() for p in stored] == [f"{session}\n"]

    # A linked worktree has its own git dir, so its own session: it is another holder.
    linked = tmp_path / "linked"
    alice.git("worktree", "add", "-q", "--detach", str(linked))
    assert (linked / ".git").is_file()
    assert alice.claim("src/api.py").rc == 0
    other = alice.claim("src/api.py", cwd=linked)
    assert other.rc == 1, (other.out, other.err)
    assert f"src/api.py is claimed by your other session {session} in " in other.err
    assert held_on_server(served_repo) == [("alice", "src/api.py", "write")]
    assert _session(alice) == session

    # GITCOORD_SESSION still overrides.
    bob.extra["GITCOORD_SESSION"] = "pinned-by-harness"
    assert _session(bob) == "pinned-by-harness"


def _race(args: tuple[str, threading.Barrier]) -> str:
    path, barrier = args
    barrier.wait()
    return worktree_session(Path(path))


def test_processes_starting_at_once_agree(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    for round_ in range(5):
        target = tmp_path / f"round-{round_}" / "gitcoord" / "session-x"
        with ctx.Manager() as manager:
            barrier = manager.Barrier(6)
            with ctx.Pool(6) as pool:
                seen = pool.map(_race, [(str(target), barrier)] * 6)
        assert len(set(seen)) == 1, seen
        assert target.read_text() == f"{seen[0]}\n"
        assert [p.name for p in target.parent.iterdir()] == ["session-x"]  # no temp files left
