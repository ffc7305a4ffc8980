"""The offline policy: an unreachable remote is exit 3 (fail-closed), or, for listings only,
a warning and the last fetched claims (fail-open). A claim is never made offline."""

from __future__ import annotations

import re

import pytest

from tests.gitenv import Agent
from tests.servers import BaseServer

# What each client says when its server process is gone.
CAUSES = {
    "git": "Connection refused",
    "ssh": "Connection refused",
    "http": "Failed to connect",
}


def _rows(listing: str) -> list[str]:
    return [re.sub(r"expires in \S+", "", line) for line in listing.splitlines()]


def _fail_open(agent: Agent) -> None:
    agent.set_policy('[claims]\noffline = "fail-open"\n')


@pytest.mark.transports("git", "ssh", "http")
def test_fail_closed_names_the_remote_and_the_cause(
    alice: Agent, remote_server: BaseServer, transport: str
) -> None:
    assert alice.claim("src/api.py").rc == 0
    remote_server.kill_server()
    for args in ((), ("src/db.py",), ("--renew",), ("-d", "src/api.py")):
        res = alice.claim(*args)
        assert res.rc == 3, (args, res.out, res.err)
        assert "cannot reach remote 'origin'" in res.err, res.err
        assert CAUSES[transport] in res.err, res.err
        assert "fix: check the network" in res.err and "Traceback" not in res.err
    status = alice.gitcoord("status")
    assert status.rc == 3 and "cannot reach remote 'origin'" in status.err
    remote_server.start_server()
    assert alice.claim("-d", "src/api.py").rc == 0


@pytest.mark.transports("git", "ssh", "http")
def test_fail_open_lists_the_last_snapshot_with_a_warning_but_never_claims(
    alice: Agent, bob: Agent, remote_server: BaseServer, transport: str
) -> None:
    _fail_open(alice)
    assert alice.claim("src/api.py", "-r", "auth").rc == 0
    assert bob.claim("docs/").rc == 0
    online = alice.claim()
    assert online.rc == 0 and online.err == ""
    remote_server.kill_server()

    listing = alice.claim()
    assert listing.rc == 0, listing.err
    assert _rows(listing.out) == _rows(online.out) and len(_rows(online.out)) == 2
    warning = listing.err.splitlines()
    assert warning[0].startswith("warning: cannot reach remote 'origin': ")
    assert CAUSES[transport] in warning[0]
    assert warning[1].startswith("warning: showing the claims last fetched at 20")
    assert warning[1].endswith('([claims] offline = "fail-open"); they may be stale')
    data = alice.claim("--json")
    assert data.rc == 0
    assert sorted(c["path"] for c in data.json()["claims"]) == ["docs/", "src/api.py"]
    status = alice.gitcoord("status", "--json")
    assert status.rc == 0 and "warning: cannot reach remote" in status.err
    assert [c["path"] for c in status.json()["mine"]] == ["src/api.py"]

    for args in (("src/db.py",), ("--renew",), ("-d", "src/api.py"), ("-d", "--all")):
        res = alice.claim(*args)
        assert res.rc == 3, (args, res.out, res.err)
        assert "cannot reach remote 'origin'" in res.err and "Traceback" not in res.err

    remote_server.start_server()
    back = alice.claim()
    assert back.rc == 0 and back.err == ""
    assert alice.claim("-d", "src/api.py").rc == 0


@pytest.mark.transports("file")
def test_fail_open_with_no_snapshot_says_so(alice: Agent) -> None:
    _fail_open(alice)
    alice.git("remote", "set-url", "origin", str(alice.path.parent / "gone.git"))
    res = alice.claim()
    assert res.rc == 0
    assert res.out == "no live claims\n"
    assert "last fetched (never, in this clone)" in res.err
