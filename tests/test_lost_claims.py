"""`--renew` and `-d --all` name a claim of mine that another agent took; a claim I released
myself and someone then claimed is not mistaken for a lost one."""

from __future__ import annotations

import time

import pytest

from tests.gitenv import Agent


def _no_skew(*agents: Agent) -> None:
    for agent in agents:
        agent.set_policy('[claims]\nclock_skew = "0s"\n')


@pytest.mark.transports("file")
def test_renew_all_and_release_all_name_the_new_holder(alice: Agent, bob: Agent) -> None:
    _no_skew(alice, bob)
    assert alice.claim("src/api.py", "--ttl", "1s").rc == 0
    assert alice.claim("docs/").rc == 0
    assert bob.claim().rc == 0  # bob's own observation of alice's lease starts here
    time.sleep(1.5)
    assert bob.claim("src/api.py").rc == 0  # takes over the expired claim

    renew = alice.claim("--renew")
    assert renew.rc == 1, (renew.out, renew.err)
    assert (
        "your claim on src/api.py was lost (taken over by bob after it expired): "
        "src/api.py is claimed by bob" in renew.err
    )
    assert "(your other 1 claim(s) were renewed)" in renew.err
    assert "git claim --wait src/api.py" in renew.err
    live = {c["path"]: c["agent"] for c in bob.claim("--json").json()["claims"]}
    assert live == {"src/api.py": "bob", "docs/": "alice"}  # docs/ was renewed all the same

    release = alice.claim("-d", "--all")  # src/api.py was reported already: no repeat
    assert release.rc == 0, release.err
    assert release.out == "released docs/ (write)\n"


@pytest.mark.transports("file")
def test_released_then_claimed_by_another_is_not_reported_lost(alice: Agent, bob: Agent) -> None:
    assert alice.claim("src/api.py").rc == 0
    assert alice.claim("-d", "src/api.py").rc == 0
    assert bob.claim("src/api.py").rc == 0
    renew = alice.claim("--renew")
    assert renew.rc == 0, renew.err
    assert renew.out == "nothing renewed: you hold no claims\n"
