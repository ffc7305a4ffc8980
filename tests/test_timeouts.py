"""`[remote] timeout`: a coordination remote that accepts the connection and then says nothing
(a black-holed host, a stuck proxy) stops every command that talks to it with exit 3 naming
the remote and "timed out", within the limit plus a few seconds, instead of hanging."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.gitenv import Agent, Result
from tests.gitwrap import GitWrap
from tests.remote_state import held_on_server, remote_log

pytestmark = pytest.mark.transports("git")

LIMIT = 2  # seconds: [remote] timeout in these tests
PATIENCE = 15.0  # what a command may take in all against a silent remote


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A git:// URL whose server accepts every connection and never sends a byte."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"git://127.0.0.1:{listener.getsockname()[1]}/x.git"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


def coordinate_through(agent: Agent, url: str) -> None:
    """Claims on `url`, with a 2 s limit; committed and pushed (`gitcoord ci` reads the
    base's policy)."""
    (agent.path / "gitcoord.toml").write_text(f'[remote]\nurl = "{url}"\ntimeout = "{LIMIT}s"\n')
    agent.git("add", "gitcoord.toml")
    agent.git("commit", "-q", "--no-verify", "-m", "coordinate through a silent remote")
    agent.git("push", "-q", "--no-verify", "origin", "HEAD:main")


def timed(run: Callable[..., Result], *args: str) -> tuple[Result, float]:
    started = time.monotonic()
    res = run(*args)
    return res, time.monotonic() - started


def assert_timed_out(res: Result, took: float, url: str, rc: int = 3) -> None:
    assert res.rc == rc, res.out + res.err
    assert took < PATIENCE, f"took {took:.1f}s"
    assert f"the remote {url} did not answer within {LIMIT}s (timed out)" in res.err, res.err
    assert "Traceback" not in res.err and "internal error" not in res.err


def test_claim_and_listing_time_out(alice: Agent, silent_url: str) -> None:
    coordinate_through(alice, silent_url)
    res, took = timed(alice.claim, "src/api.py")
    assert_timed_out(res, took, silent_url)
    res, took = timed(alice.claim)
    assert_timed_out(res, took, silent_url)
    assert res.err.endswith(
        f"  fix: check that the remote is reachable (`git ls-remote {silent_url}`); if it is "
        'only slow, raise [remote] timeout in gitcoord.toml (e.g. timeout = "2m")\n'
    )


def test_pre_push_hook_and_ci_time_out(alice: Agent, silent_url: str) -> None:
    coordinate_through(alice, silent_url)
    assert alice.gitcoord("hooks", "install").rc == 0
    alice.commit_file("src/api.py", "changed\n")
    pushed, took = timed(alice.run, "git", "push", "origin", "HEAD:main")
    assert_timed_out(pushed, took, silent_url, rc=1)  # git's exit code for a hook's refusal
    assert "pre-push: cannot check claims" in pushed.err
    assert "[rejected]" in pushed.err or "failed to push" in pushed.err
    res, took = timed(alice.gitcoord, "ci")
    assert_timed_out(res, took, silent_url)


def test_at_a_terminal_the_time_limit_holds_too(alice: Agent, silent_url: str) -> None:
    """At a terminal git stays in the foreground process group (ssh may ask there for a
    passphrase or a host key); a timeout then stops git alone and still ends the command.
    `script` gives the command a terminal of its own, with it in the foreground."""
    coordinate_through(alice, silent_url)
    res, took = timed(alice.run, "script", "-qec", "git claim", "/dev/null")
    assert res.rc == 3, res.out + res.err
    assert took < PATIENCE, f"took {took:.1f}s"
    assert f"did not answer within {LIMIT}s (timed out)" in res.out, res.out  # one terminal


def test_a_silent_origin_times_out_where_the_code_is_fetched_too(
    alice: Agent, silent_url: str
) -> None:
    """No separate coordination remote: origin itself goes silent. `gitcoord ci` fetches
    the base branch from it before any claim, and that fetch is bounded too."""
    (alice.path / "gitcoord.toml").write_text(f'[remote]\ntimeout = "{LIMIT}s"\n')
    alice.git("add", "gitcoord.toml")
    alice.git("commit", "-q", "--no-verify", "-m", "a short time limit")
    alice.git("push", "-q", "--no-verify", "origin", "HEAD:main")
    alice.git("remote", "set-url", "origin", silent_url)
    for command in (("gitcoord", "ci"), ("git", "claim")):
        res, took = timed(alice.run, *command)
        assert_timed_out(res, took, f"origin ({silent_url})")


def test_a_push_cut_off_by_the_timeout_leaves_nothing_half_made(
    alice: Agent, bob: Agent, served_repo: Path, tmp_path: Path
) -> None:
    """The remote answers fetches but every claim push stalls past the limit (a wrapper
    `git` that waits before pushing): the claim exits 3, nothing of it is on the remote, and
    the next claims (alice's own, then bob's) see a consistent state."""
    alice.set_policy(f'[remote]\ntimeout = "{LIMIT}s"\n')
    wrap = GitWrap(alice, tmp_path / "wrap")
    try:
        wrap.arm(gate="1 2 3 4 5 6")  # every claim push waits for a go that never comes
        # git-claim itself: `git claim` would put git's exec-path before the wrapper.
        res, took = timed(alice.run, "git-claim", "src/api.py")
        assert res.rc == 3, res.out + res.err
        assert took < PATIENCE + 3 * LIMIT, f"took {took:.1f}s"
        assert "the claim push failed and did not land" in res.err
        assert f"did not answer within {LIMIT}s (timed out)" in res.err
        assert "Traceback" not in res.err
        repo = served_repo
        assert held_on_server(repo) == []
        assert [e.event for e in remote_log(repo)] == []
        wrap.disarm()
        again = alice.claim("src/api.py")
        assert again.rc == 0, again.err
        refused = bob.claim("src/api.py")
        assert refused.rc == 1 and "src/api.py is claimed by alice" in refused.err
        assert held_on_server(repo) == [("alice", "src/api.py", "write")]
        assert [e.event for e in remote_log(repo)] == ["claim", "grant"]
    finally:
        wrap.close()
