"""The gitignore-style matcher, by example and against a component-wise fnmatch model."""

from __future__ import annotations

from fnmatch import fnmatchcase

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitcoord.core.patterns import first_match, matches

EXAMPLES = [
    ("*.pem", "a.pem", True),
    ("*.pem", "keys/deep/a.pem", True),
    ("*.pem", "a.pem.bak", False),
    ("secrets/**", "secrets/a", True),
    ("secrets/**", "secrets/x/y", True),
    ("secrets/**", "secrets", False),
    ("secrets/**", "other/secrets/a", False),
    ("secrets", "other/secrets/a", True),  # no slash: a name at any depth, and what is inside
    ("/secrets", "other/secrets/a", False),  # leading slash anchors
    ("/secrets", "secrets/a", True),
    ("docs/", "docs/guide.md", True),  # a directory pattern covers its contents
    ("docs/", "docs", False),  # ... but not a file of that name
    ("docs/", "a/docs/x", True),
    ("src/*.py", "src/api.py", True),
    ("src/*.py", "src/sub/api.py", False),
    ("src/*.py", "lib/src/api.py", False),  # a middle slash anchors too
    ("**/build", "a/b/build", True),
    ("**/build", "build", True),
    ("a/**/b", "a/b", True),
    ("a/**/b", "a/x/y/b", True),
    ("a/**/b", "a/x/y/c", False),
    ("file?.txt", "file1.txt", True),
    ("file?.txt", "file10.txt", False),
    ("[ab]*.md", "a1.md", True),
    ("[!ab]*.md", "a1.md", False),
    ("[!ab]*.md", "c1.md", True),
    ("[a-c].txt", "b.txt", True),
    ("[a-c].txt", "d.txt", False),
    ("[unclosed", "[unclosed", True),
    ("**", "anything/at/all", True),
    ("gitcoord.toml", "sub/gitcoord.toml", True),
    ("/gitcoord.toml", "sub/gitcoord.toml", False),
]


@pytest.mark.parametrize(("pattern", "path", "expected"), EXAMPLES)
def test_examples(pattern: str, path: str, expected: bool) -> None:
    assert matches(pattern, path) is expected


def test_first_match_reports_the_pattern() -> None:
    assert first_match(["*.md", "src/"], "src/a.py") == "src/"
    assert first_match(["*.md"], "src/a.py") is None


def _full(pat: list[str], parts: list[str]) -> bool:
    """Brute force: `**` consumes any number of components, others match one by fnmatch."""
    if not pat:
        return not parts
    if pat[0] == "**":
        if len(pat) == 1:
            return bool(parts)
        return any(_full(pat[1:], parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatchcase(parts[0], pat[0]) and _full(pat[1:], parts[1:])


def model(pattern: str, path: str) -> bool:
    dir_only = pattern.endswith("/")
    body = pattern.rstrip("/")
    anchored = "/" in body
    comps = body.lstrip("/").split("/")
    if not anchored:
        comps = ["**", *comps]
    parts = path.split("/")
    return any(
        _full(comps, parts[:end])
        for end in range(1, len(parts) + 1)
        if not (dir_only and end == len(parts))
    )


component = st.text(alphabet="ab.*?[]!", min_size=1, max_size=4).filter(
    lambda c: c not in (".", "..") and "**" not in c
)
pattern_comp = st.one_of(component, st.just("**"))
name = st.text(alphabet="ab.[]!", min_size=1, max_size=3).filter(lambda c: c not in (".", ".."))


@settings(max_examples=400, deadline=None)
@given(
    comps=st.lists(pattern_comp, min_size=1, max_size=3),
    lead=st.booleans(),
    trail=st.booleans(),
    parts=st.lists(name, min_size=1, max_size=4),
)
def test_agrees_with_model(comps: list[str], lead: bool, trail: bool, parts: list[str]) -> None:
    pattern = ("/" if lead else "") + "/".join(comps) + ("/" if trail else "")
    path = "/".join(parts)
    assert matches(pattern, path) == model(pattern, path), (pattern, path)
