"""A host without atomic push (receive.advertiseAtomic=false on the served repository): every
write exits 3 naming the missing capability, nothing lands, and there is no non-atomic fallback.
git 2.39 says "fatal: the receiving end does not support --atomic push" on every transport."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.gitenv import Agent
from tests.remote_state import held_on_server, remote_log
from tests.servers import BaseServer


@pytest.mark.every_transport
def test_no_atomic_push_exits_3_and_nothing_lands(
    alice: Agent, remote_server: BaseServer, served_repo: Path, transport: str
) -> None:
    assert alice.claim("docs/").rc == 0  # held before the host loses the capability
    config = served_repo / "config"
    subprocess.run(
        ["git", "config", "--file", str(config), "receive.advertiseAtomic", "false"], check=True
    )
    remote_server._fix_owner(config)  # gitolite's hosting user must still read it
    log_before = [e.oid for e in remote_log(served_repo)]

    for args in (("src/api.py", "src/db.py"), ("--renew",), ("-d", "docs/")):
        res = alice.claim(*args)
        assert res.rc == 3, (args, res.out, res.err)
        assert "does not support atomic push (capability 'atomic')" in res.err, res.err
        assert "never falls back to a non-atomic claim" in res.err
        assert "Traceback" not in res.err
    assert held_on_server(served_repo) == [("alice", "docs/", "write")]
    assert [e.oid for e in remote_log(served_repo)] == log_before
    listing = alice.claim()  # reading needs no atomic push
    assert listing.rc == 0 and "docs/" in listing.out
