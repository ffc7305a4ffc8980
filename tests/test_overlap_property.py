"""The overlap and compatibility rule against a brute-force model (hypothesis)."""

from __future__ import annotations

from itertools import product

from hypothesis import given
from hypothesis import strategies as st

from gitcoord.core.modes import Mode, compatible
from gitcoord.core.paths import ClaimPath, overlaps
from tests.claims import make_claim

# The brief's table, written out: held (row) vs requested (column).
TABLE = {
    ("read", "read"): True,
    ("read", "intent"): True,
    ("read", "write"): False,
    ("intent", "read"): True,
    ("intent", "intent"): True,
    ("intent", "write"): False,
    ("write", "read"): False,
    ("write", "intent"): False,
    ("write", "write"): False,
}
UNIVERSE = ["/".join(p) for n in range(1, 5) for p in product("ab", repeat=n)]

keys = st.lists(st.sampled_from("ab"), min_size=0, max_size=3).map("/".join)
paths = st.builds(lambda k, d: ClaimPath(k, d or not k), keys, st.booleans())
modes = st.sampled_from(list(Mode))


def covered(p: ClaimPath) -> set[str]:
    """Every concrete path a claim touches, the claimed name itself included."""
    names = set(UNIVERSE) | {p.key}
    if p.is_dir:
        return {n for n in names if not p.key or n == p.key or n.startswith(p.key + "/")}
    return {p.key}


@given(paths, paths)
def test_overlap_matches_shared_coverage(a: ClaimPath, b: ClaimPath) -> None:
    assert overlaps(a, b) == bool(covered(a) & covered(b))
    assert overlaps(a, b) == overlaps(b, a)


@given(modes, modes)
def test_compatibility_is_the_table(held: Mode, requested: Mode) -> None:
    assert compatible(held, requested) == TABLE[(held.value, requested.value)]


@given(paths, modes, paths, modes)
def test_conflict_is_overlap_and_incompatible(
    pa: ClaimPath, ma: Mode, pb: ClaimPath, mb: Mode
) -> None:
    a, b = make_claim(pa, ma, "alice"), make_claim(pb, mb, "bob")
    expected = bool(covered(pa) & covered(pb)) and not TABLE[(ma.value, mb.value)]
    assert a.conflicts_with(b) == expected == b.conflicts_with(a)
    # One holder never conflicts with itself.
    assert not a.conflicts_with(make_claim(pb, mb, "alice"))


@given(paths)
def test_stored_form_round_trips(p: ClaimPath) -> None:
    assert ClaimPath.parse_stored(str(p)) == p
