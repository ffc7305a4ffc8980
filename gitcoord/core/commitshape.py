"""The shape of gitcoord's own commits (claims and audit-log entries): the empty tree, so no
agent downloads files with them, and at most a few parents (a claim none, a log entry one).

The one rule of the client's listing (core/claim.parse_claim_commit) and the server hooks
(a claim ref's object, each new log commit). Pure.
"""

from __future__ import annotations

# The empty tree (SHA-1 and SHA-256 object names).
EMPTY_TREES = frozenset(
    {
        "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321",
    }
)


def commit_header(raw: bytes) -> tuple[str, list[str]]:
    """(tree, parents) from a raw commit's header; the tree is "" when there is none."""
    head, _, _ = raw.partition(b"\n\n")
    tree = ""
    parents = []
    for line in head.split(b"\n"):
        if line.startswith(b"tree "):
            tree = line[5:].decode("ascii", "replace")
        elif line.startswith(b"parent "):
            parents.append(line[7:].decode("ascii", "replace"))
    return tree, parents


def shape_problem(raw: bytes, max_parents: int) -> str | None:
    """Why a raw claim or log commit does not have gitcoord's shape; None when it does."""
    tree, parents = commit_header(raw)
    if tree not in EMPTY_TREES:
        shown = tree[:12] or "missing"
        return f"its commit carries files (tree {shown}); gitcoord commits have the empty tree"
    if len(parents) > max_parents:
        return f"its commit has {len(parents)} parents (at most {max_parents})"
    return None
