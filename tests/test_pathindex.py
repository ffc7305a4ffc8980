"""The path index finds exactly the conflicts (and the claims covering a file) a scan of every
claim finds, in the same order: the protocol, the policy core, the hooks' snapshot read and
the server hooks all ask it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gitcoord.core.claim import Claim
from gitcoord.core.modes import Mode
from gitcoord.core.overlap import PathIndex, conflicting, covering_keys
from gitcoord.core.paths import ClaimPath
from tests.claims import make_claim

NAMES = st.sampled_from(["a", "b", "ab", "a.b", "a-"])
PATHS = st.builds(
    lambda parts, is_dir: ClaimPath("/".join(parts), is_dir or not parts),
    st.lists(NAMES, max_size=3),
    st.booleans(),
)


CLAIMS = st.builds(
    make_claim, PATHS, st.sampled_from(list(Mode)), st.sampled_from(["alice", "bob", "carol"])
)


@settings(max_examples=300)
@given(st.lists(CLAIMS, max_size=4), st.lists(CLAIMS, max_size=25))
def test_index_agrees_with_a_full_scan(mine: list[Claim], others: list[Claim]) -> None:
    scan = [o for o in others if any(m.conflicts_with(o) for m in mine)]
    assert conflicting(mine, others) == scan


@settings(max_examples=300)
@given(st.lists(CLAIMS, max_size=25), st.lists(NAMES, min_size=1, max_size=4))
def test_covering_agrees_with_a_full_scan(others: list[Claim], parts: list[str]) -> None:
    path = "/".join(parts)
    scan = [i for i, c in enumerate(others) if c.path.covers(path)]
    assert sorted(PathIndex(others).covering(path)) == scan
    # The snapshot read builds only claims with these keys: it never drops a covering one.
    assert {others[i].path.key for i in scan} <= covering_keys([path])


def test_directory_sees_claims_below_it_and_not_beside_it() -> None:
    def claim(text: str, agent: str) -> Claim:
        return make_claim(ClaimPath.parse_stored(text), Mode.WRITE, agent)

    others = [claim(p, "bob") for p in ("src/a.py", "srcx/b.py", "src", "docs/", "./")]
    found = conflicting([claim("src/", "alice")], others)
    assert [str(c.path) for c in found] == ["src/a.py", "src", "./"]
