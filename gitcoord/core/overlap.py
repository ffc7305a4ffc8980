"""Claims indexed by path, to find the ones overlapping a path without scanning them all:
the one answer to "which claims cover this path" of the protocol, the policy core, the
hooks' snapshot read and the server hooks.

A claim of 1,000 paths checked against 5,000 live claims is 5 million overlap tests by
brute force; through the index each path looks up its own key, its ancestors' keys, and
(for a directory) the sorted range of keys below it. Pattern claims have no place in that
order: they are kept aside and tried one by one (a team holds few), as is a pattern asked
about. Pure: no git.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence

from gitcoord.core.claim import Claim
from gitcoord.core.paths import ClaimPath, overlaps


def covering_keys(paths: Iterable[str]) -> set[str]:
    """Every key a claim covering one of `paths` (files) can have: the root, each parent
    directory, the path itself."""
    keys = {""}
    for path in paths:
        parts = path.split("/")
        keys.update("/".join(parts[:n]) for n in range(1, len(parts) + 1))
    return keys


class PathIndex:
    def __init__(self, claims: Sequence[Claim]) -> None:
        self.claims = claims
        self._by_key: dict[str, list[int]] = {}
        self._patterns: list[int] = []
        for i, claim in enumerate(claims):
            if claim.path.is_pattern:
                self._patterns.append(i)
            else:
                self._by_key.setdefault(claim.path.key, []).append(i)
        self._keys = sorted(self._by_key)

    def covering(self, path: str) -> list[int]:
        """Positions in `claims` of every claim covering the file `path` (ClaimPath.covers),
        the root's first, then each parent's, then the path's own; each key's in order."""
        parts = path.split("/")
        keys = ["", *("/".join(parts[:n]) for n in range(1, len(parts) + 1))]
        found = [
            i for key in keys for i in self._by_key.get(key, ()) if self.claims[i].path.covers(path)
        ]
        return found + [i for i in self._patterns if self.claims[i].path.covers(path)]

    def overlapping(self, path: ClaimPath) -> Iterator[int]:
        """Positions in `claims` of every claim whose path overlaps `path` (paths.overlaps)."""
        if path.is_pattern:
            yield from (i for i, c in enumerate(self.claims) if overlaps(path, c.path))
            return
        yield from (i for i in self._patterns if overlaps(path, self.claims[i].path))
        yield from self._by_key.get(path.key, ())
        parts = path.parts
        for depth in range(len(parts)):  # directory claims on a proper ancestor, root first
            for i in self._by_key.get("/".join(parts[:depth]), ()):
                if self.claims[i].path.is_dir:
                    yield i
        if path.is_dir:  # everything below a directory
            prefix = path.key + "/" if path.key else ""
            for key in self._keys[bisect_left(self._keys, prefix) :]:
                if not key.startswith(prefix):
                    break
                if key != path.key:
                    yield from self._by_key[key]


def conflicting(mine: Sequence[Claim], others: Sequence[Claim]) -> list[Claim]:
    """The claims in `others` that conflict with any of `mine`, in the order of `others`."""
    index = PathIndex(others)
    hits = {i for m in mine for i in index.overlapping(m.path) if m.conflicts_with(others[i])}
    return [others[i] for i in sorted(hits)]
