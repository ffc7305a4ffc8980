"""What the server refuses under refs/claim-waiters/ (the queue of `git claim --wait`): a
written waiter ref whose object is not a waiter of a known format at its holder's own ref
(core/waiter.parse_waiter_commit, the client's rule), and, with GL_USER, a waiter in the
name of an agent the user may not act as. Deletions are never refused: a waiter holds
nothing, and `gitcoord gc` removes dead ones. A well-formed waiter of the pusher's own is
always accepted: the queue orders claimers, it never grants or blocks a claim here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gitcoord.core.claim import InvalidClaim
from gitcoord.core.refnames import WAITERS
from gitcoord.core.waiter import parse_waiter_commit
from gitcoord.git.bare import ObjectInfo
from gitcoord.server.policy import Pusher, Refusal
from gitcoord.server.refchange import RefChange


def waiter_writes(changes: Sequence[RefChange]) -> list[RefChange]:
    return [c for c in changes if c.ref.startswith(WAITERS) and not c.deletes]


def check_waiters(
    changes: Sequence[RefChange],
    infos: Mapping[str, ObjectInfo],
    raw: Mapping[str, bytes],
    pusher: Pusher,
) -> list[Refusal]:
    """Refusals for the waiter refs a push writes; `raw` holds their small commits."""
    refusals = []
    for ch in waiter_writes(changes):
        info = infos.get(ch.new)
        try:
            if info is None or info.type != "commit":
                raise InvalidClaim("its object is missing or not a commit")
            waiter = parse_waiter_commit(raw.get(ch.new, b""), ref=ch.ref, oid=ch.new)
        except InvalidClaim as exc:
            refusals.append(
                Refusal(
                    ch.ref,
                    f"not a valid waiter: {exc}",
                    "waiters are written by `git claim --wait`; delete a stray ref with "
                    f"`git push origin :{ch.ref}`",
                )
            )
            continue
        if not pusher.owns(waiter.agent):
            refusals.append(
                Refusal(
                    ch.ref,
                    f"a waiter in the name of {waiter.agent}, but you are {pusher.acting_as()}",
                    "wait under your own name (GITCOORD_AGENT / git config gitcoord.agent)",
                )
            )
    return refusals
