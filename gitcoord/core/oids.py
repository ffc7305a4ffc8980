"""Object names as git's hook and push protocols give them. Standard library only: the
server hook's light paths use it before importing anything else."""

from __future__ import annotations


def is_zero(oid: str) -> bool:
    """The all-zero name git uses for "no object": a ref being created or deleted."""
    return not oid.strip("0")
