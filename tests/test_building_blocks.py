"""Small building blocks, checked against what they must agree with: the one atomic file
write, a fetch that overlaps local work, a claim's JSON layout, ref keys."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitcoord.cli.claim_listing import _nested, _with_flags
from gitcoord.core.atomicfile import write_atomic
from gitcoord.git.fetching import fetch
from tests.gitenv import Agent


def test_write_atomic_replaces_whole_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_write_atomic_failure_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    write_atomic(target, b"old")
    with pytest.raises(TypeError):
        write_atomic(target, "not bytes")  # type: ignore[arg-type]  # fails mid-write
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_write_atomic_honours_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "f", b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "f").stat().st_mode & 0o777 == 0o640


def test_fetch_stops_its_git_when_the_overlapped_work_fails(alice: Agent, bob: Agent) -> None:
    assert alice.claim("src/a.py").rc == 0

    def boom() -> None:
        raise RuntimeError("meanwhile failed")

    spec = ["+refs/claims/*:refs/gitcoord/origin/claims/*"]
    with pytest.raises(RuntimeError, match="meanwhile failed"):
        fetch(str(bob.path), "origin", spec, meanwhile=boom)
    ran: list[int] = []
    fetch(str(bob.path), "origin", spec, meanwhile=lambda: ran.append(1))
    assert ran == [1]
    refs = bob.git("for-each-ref", "--format=%(refname)", "refs/gitcoord/origin/claims/")
    assert refs.strip().startswith("refs/gitcoord/origin/claims/w/")


_SCALAR = (
    st.text()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.none()
)


_OBJECTS = st.dictionaries(st.text(), _SCALAR | st.lists(st.integers(), max_size=2))


@given(
    _OBJECTS.filter(lambda o: bool(o) and not {"mine", "mine_other_session", "expired"} & set(o)),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_a_listed_claim_is_laid_out_as_json_lays_it_out(
    public: dict[str, object], mine: bool, other: bool, expired: bool
) -> None:
    """`git claim --json` puts each claim's cached encoding, with its three flags, at depth
    2 of its list: the text must be json.dumps(indent=2)'s of the whole."""
    cached = json.dumps(public, indent=2, ensure_ascii=False)
    whole = {"claims": [{**public, "mine": mine, "mine_other_session": other, "expired": expired}]}
    item = _nested(_with_flags(cached, mine, other, expired), 2)
    assert json.dumps(whole, indent=2, ensure_ascii=False) == (
        '{\n  "claims": [\n    ' + item + "\n  ]\n}"
    )


@given(st.text())
def test_ref_keys_are_the_base32_of_the_whole_digest(text: str) -> None:
    import base64

    from gitcoord.core import refnames

    digest = hashlib.sha256(("path\0" + text).encode("utf-8", "surrogatepass")).digest()
    assert refnames.path_key(text) == base64.b32encode(digest).decode().lower()[:26]
