"""Hostile or foreign refs under refs/claims/ are reported and skipped; claiming keeps working."""

from __future__ import annotations

import json

from gitcoord.core import refnames
from gitcoord.core.modes import Mode
from tests.gitenv import Agent

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def _push_object(agent: Agent, ref: str, oid: str) -> None:
    agent.git("push", "-q", "--no-verify", "origin", f"+{oid}:{ref}")


def _commit(agent: Agent, message: str) -> str:
    agent.git("hash-object", "-t", "tree", "-w", "/dev/null")
    res = agent.run("git", "commit-tree", EMPTY_TREE, "-m", message)
    assert res.rc == 0, res.err
    return res.out.strip()


def _blob(agent: Agent, text: str) -> str:
    path = agent.path / ".git" / "blob.tmp"
    path.write_text(text)
    return agent.git("hash-object", "-w", str(path)).strip()


def test_hostile_refs_are_reported_and_skipped(alice: Agent, bob: Agent) -> None:
    api_ref = refnames.claim_ref("src/api.py", _write(), "x", "y")
    db_ref = refnames.claim_ref("src/db.py", _write(), "x", "y")
    future = json.dumps({"format": 99, "path": "src/db.py"})
    _push_object(alice, refnames.WRITE + "aaaablob", _blob(alice, "not a claim"))
    _push_object(alice, api_ref, _commit(alice, "garbage\n\n{not json"))
    _push_object(alice, db_ref, _commit(alice, "from the future\n\n" + future))
    _push_object(alice, refnames.WRITE + "huge", _commit(alice, "huge\n\n" + "x" * 100_000))
    _push_object(alice, refnames.SHARED + "elsewhere", _commit(alice, "empty"))

    listing = bob.claim()
    assert listing.rc == 0 and listing.out == "no live claims\n"
    warnings = [ln for ln in listing.err.splitlines() if ln.startswith("warning: skipping")]
    assert len(warnings) == 5
    assert any("points to a blob, not a commit" in w for w in warnings)
    assert any("claim body is not JSON" in w for w in warnings)
    assert any("format 99 is newer" in w for w in warnings)
    assert any("over the limit" in w for w in warnings)
    data = bob.claim("--json").json()
    assert data["claims"] == [] and len(data["invalid"]) == 5

    ok = bob.claim("docs/guide.md")
    assert ok.rc == 0, ok.err
    # A garbage object at a path's write ref is no claim: it is replaced under a lease.
    replaced = bob.claim("src/api.py")
    assert replaced.rc == 0, replaced.err
    # A claim from a newer gitcoord is never overwritten by an older one.
    newer = bob.claim("src/db.py")
    assert newer.rc == 3 and "newer gitcoord" in newer.err and "Traceback" not in newer.err
    paths = sorted(c["path"] for c in alice.claim("--json").json()["claims"])
    assert paths == ["docs/guide.md", "src/api.py"]
    assert alice.claim("src/api.py").rc == 1


def test_claim_at_the_wrong_ref_is_not_trusted(alice: Agent, bob: Agent) -> None:
    assert alice.claim("src/api.py").rc == 0
    real = alice.claim("--json").json()["claims"][0]
    # Copy alice's genuine claim object to the ref of another path: a forged location.
    _push_object(alice, refnames.claim_ref("src/db.py", _write(), "x", "y"), real["oid"])
    listing = bob.claim("--json").json()
    assert [c["path"] for c in listing["claims"]] == ["src/api.py"]
    assert "sits at the wrong ref" in listing["invalid"][0]["problem"]


def _write() -> Mode:
    return Mode.WRITE
