"""The parse cache behind a warm listing: it shows exactly the remote's claims, survives a
damaged cache file, and never hides a hostile claim object."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gitcoord.core import refnames
from gitcoord.core.modes import Mode
from gitcoord.store import parsecache
from tests.gitenv import Agent

pytestmark = pytest.mark.transports("file")

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def _cache(agent: Agent) -> Path:
    return agent.path / ".git" / "gitcoord" / "parsed-origin.marshal"


def _snapshot(agent: Agent) -> Path:
    return agent.path / ".git" / "gitcoord" / "snapshot-origin.json"


def _listed(agent: Agent) -> Any:
    """`git claim --json`, checked to be exactly json.dumps(indent=2)'s text of itself."""
    res = agent.claim("--json")
    assert res.rc == 0 and "Traceback" not in res.err, res.err
    data = json.loads(res.out)
    assert res.out == json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    snap = _snapshot(agent).read_text()
    assert snap == json.dumps(json.loads(snap), separators=(",", ":"))
    return data


def _paths(data: Any) -> list[str]:
    return [c["path"] for c in data["claims"]]


def test_warm_listing_shows_exactly_the_remotes_claims(alice: Agent, bob: Agent) -> None:
    assert alice.claim("src/a.py", "src/b.py", "-r", 'naïve "quoted" \\ reason').rc == 0
    assert bob.claim("-m", "read", "docs/").rc == 0
    first = _listed(bob)
    assert _paths(first) == ["docs/", "src/a.py", "src/b.py"]
    cached = parsecache.load(_cache(bob))
    assert {p.claim.path.key for p in cached.values()} == {"docs", "src/a.py", "src/b.py"}

    assert alice.claim("-d", "src/a.py").rc == 0
    assert alice.claim("src/c.py").rc == 0
    assert alice.claim("--renew").rc == 0  # new objects at the same refs
    warm = _listed(bob)
    assert _paths(warm) == ["docs/", "src/b.py", "src/c.py"]

    # The same claims as a listing from another clone (apart from whose they are).
    def unowned(data: Any) -> list[Any]:
        return [{k: v for k, v in c.items() if k != "mine"} for c in data["claims"]]

    assert unowned(warm) == unowned(_listed(alice))
    assert [c["mine"] for c in warm["claims"]] == [True, False, False]
    # Pruned to the current listing: the released and renewed objects are gone.
    oids = {c["oid"] for c in warm["claims"]}
    assert set(parsecache.load(_cache(bob))) == oids
    # The hooks' snapshot holds the same claims, and a later fetch freshens it.
    snap = json.loads(_snapshot(bob).read_text())
    by_ref = sorted(warm["claims"], key=lambda c: c["ref"])
    assert [c["oid"] for c in snap["claims"]] == [c["oid"] for c in by_ref]
    assert _listed(bob) == warm
    assert json.loads(_snapshot(bob).read_text())["fetched_at"] > snap["fetched_at"]

    text = bob.claim()
    assert text.rc == 0 and text.out.count("\n") == 3 and "src/a.py" not in text.out


@pytest.mark.parametrize(
    "damage",
    [b"", b"garbage", parsecache.MAGIC + b"\x00\xffnot marshal", parsecache.MAGIC + b"N", b"dir"],
    ids=["empty", "foreign", "truncated", "not-ours", "unreadable"],
)
def test_a_damaged_cache_is_ignored_and_rewritten(alice: Agent, bob: Agent, damage: bytes) -> None:
    assert alice.claim("src/a.py", "docs/").rc == 0
    before = _listed(bob)
    cache = _cache(bob)
    cache.unlink()
    if damage == b"dir":
        cache.mkdir()  # cannot be read, nor replaced: listing works without a cache
    else:
        cache.write_bytes(damage)
    assert _listed(bob) == before
    if damage != b"dir":
        assert set(parsecache.load(cache)) == {c["oid"] for c in before["claims"]}


def test_hostile_objects_are_reported_with_the_cache_warm(alice: Agent, bob: Agent) -> None:
    assert alice.claim("src/a.py").rc == 0
    first = _listed(bob)
    (good,) = first["claims"]
    garbage = alice.run("git", "commit-tree", EMPTY_TREE, "-m", "garbage\n\n{not json")
    assert garbage.rc == 0
    bad_ref = refnames.claim_ref("src/bad.py", Mode.WRITE, "x", "y")
    copy_ref = refnames.claim_ref("src/copy.py", Mode.WRITE, "x", "y")
    alice.git("push", "-q", "origin", f"{garbage.out.strip()}:{bad_ref}")
    # The cached claim's own object, at another path's ref: cached, but not valid there.
    alice.git("push", "-q", "origin", f"{good['oid']}:{copy_ref}")
    for _ in range(2):  # invalid objects are judged on every listing, never cached
        res = bob.claim()
        warnings = sorted(ln for ln in res.err.splitlines() if ln.startswith("warning: skipping"))
        assert len(warnings) == 2, res.err
        assert any(bad_ref in w and "claim body is not JSON" in w for w in warnings)
        assert any(copy_ref in w and "sits at the wrong ref" in w for w in warnings)
        data = _listed(bob)
        assert data["claims"] == first["claims"]
        assert sorted(i["ref"] for i in data["invalid"]) == sorted([bad_ref, copy_ref])
    assert set(parsecache.load(_cache(bob))) == {good["oid"]}


def test_the_read_after_my_write_parses_my_claims_without_reading_them_back(
    alice: Agent, bob: Agent
) -> None:
    # How many objects are read back (none) is a bench figure (bench/cases/startup.py);
    # here: what alice parsed from her own messages is what a reader of the objects sees.
    assert bob.claim("docs/").rc == 0
    assert alice.claim("--json").rc == 0  # bob's claim is parsed and cached
    res = alice.claim("--json", "src/a.py", "src/b.py")
    assert alice.claim("src/c.py").rc == 0
    assert res.rc == 0, res.err
    held = res.json()["claimed"]
    # What I parsed from my own messages is what a clone that reads the objects sees.
    theirs = {c["oid"]: c for c in _listed(bob)["claims"]}
    mine = {c["oid"]: c for c in _listed(alice)["claims"]}
    assert {c["oid"] for c in held} <= mine.keys()
    for oid, claim in mine.items():
        assert {**claim, "mine": None} == {**theirs[oid], "mine": None}


def test_a_new_object_at_a_cached_ref_is_shown(alice: Agent, bob: Agent) -> None:
    """Same refs, same count, one new object (a renewal): the listing shows the new object,
    not the cached claim that sat at that ref."""
    assert alice.claim("src/a.py", "src/b.py").rc == 0
    before = _listed(bob)
    assert _listed(bob) == before  # unchanged, now from the cache
    assert alice.claim("--renew", "src/a.py").rc == 0
    after = _listed(bob)
    assert [c["ref"] for c in after["claims"]] == [c["ref"] for c in before["claims"]]
    assert after["claims"] == [
        {**c, "mine": False} for c in _listed(alice)["claims"]
    ]  # alice's own view: the renewed object
    assert after["claims"][0]["oid"] != before["claims"][0]["oid"]
