"""The lines git feeds the pre-receive and reference-transaction hooks (githooks(5)).

Standard library and core/oids.py only: the hook's light paths ("committed", "aborted",
transactions that write no claim) parse their input and return without importing the rest
of gitcoord.
"""

from __future__ import annotations

from typing import NamedTuple

from gitcoord.core.oids import is_zero

CLAIMS = "refs/claims/"
BRANCHES = "refs/heads/"
# Set for the transaction that releases landed claims (landing.py): its own hook run
# neither records it as a break nor looks for landed work.
RELEASING_ENV = "GITCOORD_RELEASING"


class RefChange(NamedTuple):
    """One line of a hook's stdin (githooks(5)): `<old-oid> SP <new-oid> SP <ref-name>`."""

    old: str
    new: str
    ref: str

    @property
    def deletes(self) -> bool:
        return is_zero(self.new)

    @property
    def creates(self) -> bool:
        return is_zero(self.old)


def parse_changes(text: str) -> list[RefChange]:
    changes = []
    for line in text.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3:
            changes.append(RefChange(parts[0], parts[1], parts[2]))
    return changes


def claim_writes(changes: list[RefChange]) -> bool:
    """Whether a transaction creates or updates any claim ref (deletions cannot conflict)."""
    return any(c.ref.startswith(CLAIMS) and not c.deletes for c in changes)
