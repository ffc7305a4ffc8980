"""Pattern claims against the matcher (hypothesis): a pattern claim never leaves a path it
matches unprotected. Whatever path, directory or pattern is claimed beside it, if some
path lies in both, the two overlap (core/pattern_overlap.py decides conservatively; this
checks it is never wrongly "apart"), and the index finds it."""

from __future__ import annotations

from itertools import product

from hypothesis import given, settings
from hypothesis import strategies as st

from gitcoord.core.modes import Mode
from gitcoord.core.overlap import PathIndex, conflicting
from gitcoord.core.paths import GLOB_MAGIC, ClaimPath, overlaps
from tests.claims import make_claim

NAMES = ["a", "b", "ab", "x.py", "y.md", "a.py"]
# Every path of up to four components over NAMES: the paths a pattern could reach.
UNIVERSE = ["/".join(p) for n in range(1, 5) for p in product(NAMES, repeat=n)]
COMPONENTS = ["a", "b", "*", "?", "a*", "*b", "*.py", "*.md", "[ab]", "[!a]*", "x.py", "**"]

pattern_bodies = st.lists(st.sampled_from(COMPONENTS), min_size=1, max_size=4).map("/".join)
patterns = st.builds(
    lambda body, dir_only: ClaimPath(GLOB_MAGIC + body + ("/" if dir_only else "")),
    pattern_bodies,
    st.booleans(),
)
directories = st.lists(st.sampled_from(NAMES), max_size=3).map(
    lambda parts: ClaimPath("/".join(parts), True)
)
files = st.sampled_from(UNIVERSE).map(ClaimPath)
claims = st.one_of(patterns, directories, files)


def reached(p: ClaimPath) -> set[str]:
    """The paths of UNIVERSE a claim holds, by the matcher (patterns) or the directory rule."""
    return {path for path in UNIVERSE if p.covers(path)}


@settings(max_examples=400)
@given(patterns, claims)
def test_a_shared_path_is_an_overlap(pattern: ClaimPath, other: ClaimPath) -> None:
    assert overlaps(pattern, other) == overlaps(other, pattern)  # both reads judge alike
    if reached(pattern) & reached(other):
        assert overlaps(pattern, other)


@settings(max_examples=200)
@given(patterns, st.lists(claims, max_size=6))
def test_the_index_finds_what_overlaps(pattern: ClaimPath, others: list[ClaimPath]) -> None:
    held = [make_claim(p, Mode.WRITE, f"a{i}") for i, p in enumerate(others)]
    mine = make_claim(pattern, Mode.READ, "me")
    found = {c.path for c in conflicting([mine], held)}
    for c in held:
        if reached(pattern) & reached(c.path):
            assert c.path in found
    index = PathIndex(held)
    for path in UNIVERSE[:40]:
        covering = {held[i].path for i in index.covering(path)}
        assert covering == {c.path for c in held if c.path.covers(path)}


def test_apart_is_said_where_it_is_provable() -> None:
    """Conservative, not useless: patterns and paths in different places do not meet."""

    def p(body: str) -> ClaimPath:
        return ClaimPath(GLOB_MAGIC + body)

    assert not overlaps(p("src/*.py"), p("docs/*.py"))
    assert not overlaps(p("src/*.py"), ClaimPath("src/lib", True))
    assert not overlaps(p("src/*.py"), ClaimPath("src/notes.md"))
    assert not overlaps(p("src/a*.py"), p("src/b*.py"))
    assert overlaps(p("src/*.py"), p("src/**/*.md"))  # src/x.py/y.md: the directory rule
    assert overlaps(p("**/*.py"), ClaimPath("deep/er", True))
