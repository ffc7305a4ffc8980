"""The waiters in the local mirror (refs/gitcoord/<remote>/claim-waiters/…), fetched with
the claims in one fetch, read into Waiter objects: an unreadable one is reported like an
unreadable claim ref (InvalidRef, skipped), never trusted."""

from __future__ import annotations

from collections.abc import Sequence

from gitcoord.core import refnames
from gitcoord.core.claim import MAX_OBJECT_BYTES, InvalidClaim, UnknownFormat
from gitcoord.core.waiter import Waiter, parse_waiter_commit
from gitcoord.git.objects import RefEntry, read_objects
from gitcoord.store.listing import InvalidRef


def mirror_prefix(remote_key: str) -> str:
    return refnames.to_mirror(refnames.WAITERS, remote_key)


def refspec(remote_key: str) -> str:
    return f"+{refnames.WAITERS}*:{mirror_prefix(remote_key)}*"


def read_waiters(
    cwd: str, entries: Sequence[RefEntry], remote_key: str
) -> tuple[list[Waiter], list[InvalidRef]]:
    """The waiters at `entries` (mirror refs), read in one `cat-file` when there are any."""
    if not entries:
        return [], []
    small = [e.oid for e in entries if e.type == "commit" and e.size <= MAX_OBJECT_BYTES]
    raw = read_objects(cwd, small)
    waiters: list[Waiter] = []
    invalid: list[InvalidRef] = []
    for e in entries:
        ref = refnames.from_mirror(e.ref, remote_key)
        try:
            if e.type != "commit":
                raise InvalidClaim(f"points to a {e.type}, not a commit")
            waiters.append(parse_waiter_commit(raw.get(e.oid, b""), ref=ref, oid=e.oid))
        except InvalidClaim as exc:
            invalid.append(InvalidRef(ref, e.oid, str(exc), isinstance(exc, UnknownFormat)))
    return waiters, invalid
