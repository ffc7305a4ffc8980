"""An audit record too large for one log entry is split into chained entries, each under the
server hooks' bound on a log commit, that together name every claim in order."""

from __future__ import annotations

from gitcoord.core.auditlog import MAX_LOG_OBJECT_BYTES, entry_messages, parse_entry
from gitcoord.core.claim import Claim
from gitcoord.core.identity import Identity
from gitcoord.core.modes import Mode
from gitcoord.core.paths import ClaimPath
from tests.claims import make_claim

ME = Identity(agent="alice", host="h", worktree="/w", session="s")


def _claims(n: int, agent: str) -> list[Claim]:
    return [
        make_claim(ClaimPath(f"src/deep/module_{i:05d}.py"), Mode.WRITE, agent) for i in range(n)
    ]


def test_a_small_change_is_one_entry_and_a_large_one_is_chained_in_order() -> None:
    few, taken = _claims(3, "alice"), _claims(1, "bob")
    [one] = entry_messages("claim", ME, few, at=0.0, previous=taken)
    entry = parse_entry("0" * 40, one)
    assert entry is not None and len(entry.claims) == 3 and len(entry.previous) == 1

    many, old = _claims(1000, "alice"), _claims(300, "bob")
    messages = entry_messages("claim", ME, many, at=0.0, reason="r", previous=old)
    assert len(messages) > 4
    assert all(len(m.encode()) + 300 <= MAX_LOG_OBJECT_BYTES for m in messages)  # + header
    entries = [parse_entry("0" * 40, m) for m in messages]
    assert all(e is not None and e.event == "claim" for e in entries)
    named = [c["path"] for e in entries if e for c in e.claims]
    previous = [c["path"] for e in entries if e for c in e.previous]
    assert named == [str(c.path) for c in many]
    assert previous == [str(c.path) for c in old]
