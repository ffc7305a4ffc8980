"""textsafe.loads_bounded refuses exactly the JSON texts nested deeper than asked, whichever
of its shortcuts (no bracket to nest, fewer brackets than the limit, the scan) decides."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitcoord.core.textsafe import TooDeep, loads_bounded

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='ab[]{}"\\', max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=12,
)


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


@given(VALUES, st.integers(min_value=1, max_value=8))
def test_refused_exactly_when_deeper_than_the_limit(value: Any, limit: int) -> None:
    text = json.dumps(value)
    if depth(value) > limit:
        with pytest.raises(TooDeep):
            loads_bounded(text, limit)
    else:
        assert loads_bounded(text, limit) == value


def test_at_the_limit_and_one_past_it() -> None:
    assert loads_bounded('{"a": [[1]], "b": []}', 3) == {"a": [[1]], "b": []}
    with pytest.raises(TooDeep):
        loads_bounded('{"a": [[[1]]]}', 3)  # four brackets, four levels
    assert loads_bounded('{"a": "[[[[[[", "b": []}', 2)["b"] == []  # brackets in strings
