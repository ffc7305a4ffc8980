"""`[claims] auto = true`: a session's first write to a free path claims it first.

The claim goes through the one claim protocol (protocol/coordinator.py), never waiting: a
refused claim refuses the write, with the refusal's own message (the holder and the fix).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from gitcoord.core import timeutil
from gitcoord.core.claim import Claim
from gitcoord.core.config import Config
from gitcoord.core.errors import Refused
from gitcoord.core.identity import Identity, published
from gitcoord.core.modes import Mode
from gitcoord.core.paths import ClaimPath
from gitcoord.git.repo import Repo
from gitcoord.policy.agents import Author
from gitcoord.policy.claims import my_write_claims
from gitcoord.protocol.coordinator import Coordinator, Request
from gitcoord.store.claimstore import ClaimStore

AUTO_REASON = "claimed at its first edit (gitcoord guard, [claims] auto)"


def claim_first_writes(
    repo: Repo, config: Config, me: Identity, claims: Sequence[Claim], writes: Sequence[str]
) -> tuple[str, list[str]]:
    """Claim the paths of `writes` that no live write claim of mine covers yet: the refusal
    ("" when every path is mine now) and the paths claimed."""
    mine = my_write_claims(claims, Author(me.agent, me.session), timeutil.now())
    free = [p for p in writes if p != "." and not mine.covering(p)]
    if not free:
        return "", []
    me = published(me, config.claims.publish_location)
    requests = [
        Request(ClaimPath(p, os.path.isdir(os.path.join(repo.toplevel, p))), Mode.WRITE)
        for p in free
    ]
    coordinator = Coordinator(ClaimStore(repo, config, me), config, me, progress=None)
    try:
        coordinator.claim(requests, ttl=config.claims.ttl, reason=AUTO_REASON)
    except Refused as exc:
        return exc.render(), []
    return "", free
