"""Whether a pattern claim may meet a directory claim or another pattern claim.

A pattern claim holds every path its gitignore-style pattern matches (core/patterns.py), now
and later. Against a file the matcher decides. Against a directory or another pattern the
question is whether some path, possibly one that does not exist yet, lies in both; deciding
that exactly means intersecting the two languages. Instead this answers conservatively: it
may say "they meet" for two that never do (a claim refused that could have been granted),
never "they do not" for two that do (a path left held twice).

The walk goes component by component over the patterns' components (`**` may take any
number of them). It reports "apart" only when a component is provably in no name both
sides accept: two different literals, a literal a glob rejects, or two globs whose literal
heads or tails contradict (`*.py` and `*.md`). Once either side has matched in full it has
matched a directory whose whole subtree it holds (the matcher's directory rule), so the two
meet; `**` against `**` meets too (`a.py/b.md` is in `**/*.py` and in `**/*.md`).
Components still to come are taken to be satisfiable by some name.
Pure functions only.
"""

from __future__ import annotations

import re
from functools import lru_cache

from gitcoord.core.patterns import component_regex

ANY = "**"


def pattern_meets_directory(components: tuple[str, ...], directory: tuple[str, ...]) -> bool:
    """Whether the anchored pattern `components` may match the directory `directory` (its
    parts; () is the repository), a parent of it, or a path inside it."""
    return _meets(components, directory)


def patterns_meet(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two anchored patterns may match one path."""
    return _meets(a, b, literal_b=False)


def _meets(a: tuple[str, ...], b: tuple[str, ...], *, literal_b: bool = True) -> bool:
    """Search the pairs (i, j) of positions reachable by reading one path through both; `b`
    is a literal path when `literal_b` (its `*` is a name, not a glob)."""
    todo = [(0, 0)]
    seen: set[tuple[int, int]] = set()
    while todo:
        i, j = todo.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(a):
            return True  # a matched a directory above every path below here
        if j == len(b):
            return True  # b ends here: a path inside b (a directory, or b's whole subtree)
        left, right = a[i], b[j]
        if left == ANY and (right == ANY and not literal_b):
            return True
        if left == ANY:
            if i == len(a) - 1:
                return True  # a trailing `**` holds everything below this point
            todo += [(i + 1, j), (i, j + 1)]  # `**` takes no component, or one more
        elif right == ANY and not literal_b:
            if j == len(b) - 1:
                return True
            todo += [(i, j + 1), (i + 1, j)]
        elif _components_meet(left, right, literal_b):
            todo.append((i + 1, j + 1))
    return False


def _components_meet(glob: str, other: str, literal_other: bool) -> bool:
    """Whether one name may be accepted by the component `glob` and by `other` (a literal
    name when `literal_other`, else another component)."""
    mine = component_regex(glob)
    theirs = None if literal_other else component_regex(other)
    if mine is None and theirs is None:
        return glob == other  # two literal names
    if theirs is None:
        return mine is not None and mine.fullmatch(other) is not None
    if mine is None:
        return theirs.fullmatch(glob) is not None
    return _heads_and_tails_agree(glob, other)


def _heads_and_tails_agree(a: str, b: str) -> bool:
    """Two globs: a name both accept must start with both literal heads and end with both
    literal tails, so one head is a prefix of the other, one tail a suffix of the other."""
    head_a, tail_a = _head_tail(a)
    head_b, tail_b = _head_tail(b)
    heads = head_a.startswith(head_b) or head_b.startswith(head_a)
    tails = tail_a.endswith(tail_b) or tail_b.endswith(tail_a)
    return heads and tails


@lru_cache(maxsize=1024)
def _head_tail(glob: str) -> tuple[str, str]:
    """The literal text before the first and after the last wildcard of a component (an
    escaped character counts as a wildcard here: shorter heads and tails only weaken the
    test, never make it unsound)."""
    first = re.search(r"[*?\[\\]", glob)
    last = max(glob.rfind(ch) for ch in "*?]\\")
    head = glob[: first.start()] if first else glob
    return head, glob[last + 1 :] if last >= 0 else glob
