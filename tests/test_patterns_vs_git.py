"""The pattern matcher (gitcoord/core/patterns.py) against git's own: `git check-ignore
--no-index` on a generated table of patterns x paths.

core/patterns.py promises gitignore semantics without negation, and a path is matched itself
or through one of its directories, which is what check-ignore answers for a file path. All
patterns go to git in one process: pattern k is the only line of `p<k>/.gitignore` (a
subdirectory's .gitignore anchors at that subdirectory, as ours does at the repository root),
and every path is asked as `p<k>/<path>` on stdin.
"""

from __future__ import annotations

import itertools
import random
import subprocess
from pathlib import Path

from gitcoord.core.patterns import matches

# Path components: plain names, extensions, a dotfile, names a class or `?` tells apart.
NAMES = ("a", "b", "ab", "a.py", "b.md", "c1", ".env", "docs", "x-y")
# Pattern components: literals, `*`, `?`, `**`, and classes (negated, ranges, a dot).
PIECES = (
    "a",
    "docs",
    "*",
    "?",
    "**",
    "a*",
    "*.py",
    "*.md",
    "b?",
    "[ab]",
    "[!a]*",
    "[^b]",
    "[a-c]1",
    "[.]env",
    "x**y",
    "*b*",
)


def _paths() -> list[str]:
    """Every path of one and two components, and a fixed sample of three-component ones."""
    short = ["/".join(p) for n in (1, 2) for p in itertools.product(NAMES, repeat=n)]
    deep = random.Random(7).sample(list(itertools.product(NAMES, repeat=3)), 200)
    return short + ["/".join(p) for p in deep]


def _patterns() -> list[str]:
    """Every one-component pattern and fixed samples of two- and three-component ones, each
    bare, anchored with a leading `/`, directory-only with a trailing `/`, and both."""
    pick = random.Random(11)
    pairs = pick.sample(list(itertools.product(PIECES, repeat=2)), 160)
    triples = pick.sample(list(itertools.product(PIECES, repeat=3)), 60)
    bodies = [*PIECES, *("/".join(p) for p in (*pairs, *triples))]
    return [f"{lead}{b}{trail}" for b in bodies for lead in ("", "/") for trail in ("", "/")]


def _git_matches(root: Path, patterns: list[str], paths: list[str]) -> set[tuple[int, str]]:
    """(pattern index, path) for every path git's check-ignore says pattern k matches."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for k, pattern in enumerate(patterns):
        (root / f"p{k}").mkdir()
        (root / f"p{k}" / ".gitignore").write_text(pattern + "\n")
    queries = "".join(f"p{k}/{p}\0" for k in range(len(patterns)) for p in paths)
    out = subprocess.run(
        ["git", "check-ignore", "--no-index", "--stdin", "-z", "-v", "-n"],
        cwd=root,
        input=queries.encode(),
        capture_output=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr  # 0: some path matched
    fields = iter(out.stdout.decode().split("\0")[:-1])  # source, line, pattern, path; ...
    found: set[tuple[int, str]] = set()
    for source, _line, _pattern, query in zip(fields, fields, fields, fields, strict=True):
        if source:
            where, path = query.split("/", 1)
            found.add((int(where[1:]), path))
    return found


def test_the_matcher_agrees_with_git_check_ignore(tmp_path: Path) -> None:
    patterns, paths = _patterns(), _paths()
    theirs = _git_matches(tmp_path / "repo", patterns, paths)
    ours = {(k, p) for k, pattern in enumerate(patterns) for p in paths if matches(pattern, p)}
    assert len(theirs) > 20_000  # the table exercises matches, not only misses
    differ = sorted((patterns[k], p, (k, p) in ours) for k, p in ours ^ theirs)
    assert differ == [], f"{len(differ)} disagreements (pattern, path, ours): {differ[:40]}"
