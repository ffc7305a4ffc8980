"""The claims snapshot as hooks read it: written by a real fetch, filtered by relevance."""

from __future__ import annotations

from pathlib import Path

from gitcoord.core.overlap import covering_keys
from gitcoord.store.snapshot import COMPACT_HEAD, read_snapshot
from tests.gitenv import Agent


def test_snapshot_relevance_filter_matches_full_read(alice: Agent, bob: Agent) -> None:
    assert alice.claim("src/api.py", "docs/", "-r", "edit").rc == 0
    assert bob.claim("-m", "read", "README.md").rc == 0
    assert bob.claim().rc == 0  # a listing writes the snapshot
    path = Path(bob.path) / ".git" / "gitcoord" / "snapshot-origin.json"
    assert path.read_bytes().startswith(COMPACT_HEAD)  # the fast path's assumption

    full = read_snapshot(path)
    assert full is not None
    assert sorted(str(c.path) for c in full.claims) == ["README.md", "docs/", "src/api.py"]

    def paths(*changed: str) -> list[str]:
        snap = read_snapshot(path, covering_keys(changed))
        assert snap is not None and full is not None and snap.fetched_at == full.fetched_at
        return sorted(str(c.path) for c in snap.claims)

    assert paths("src/api.py") == ["src/api.py"]
    assert paths("docs/a/b.md", "README.md") == ["README.md", "docs/"]
    assert paths("src/db.py") == []  # nothing relevant: no claim is parsed at all

    assert alice.claim("-d", "--all").rc == 0
    assert bob.claim("-m", "read", "./").rc == 0  # the whole repository, stored as ./
    assert bob.claim().rc == 0
    full = read_snapshot(path)
    assert paths("src/db.py") == ["./"]


def test_missing_or_damaged_snapshot_means_fetch(tmp_path: Path) -> None:
    assert read_snapshot(tmp_path / "none.json") is None
    (tmp_path / "bad.json").write_text('{"format":1,"fetched_at":"garbage"')
    assert read_snapshot(tmp_path / "bad.json", {""}) is None
    (tmp_path / "new.json").write_text('{"format":2,"fetched_at":"x","claims":[]}')
    assert read_snapshot(tmp_path / "new.json") is None
