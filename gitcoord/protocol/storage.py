"""The storage the protocol needs, and nothing more: store.claimstore.ClaimStore is one.

Listing the methods here keeps the protocol honest about what it touches (refs, objects and
this session's held record), and lets a reader see the whole surface in one screen.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from gitcoord.core.claim import Claim
from gitcoord.git.transport import PushResult, RefUpdate
from gitcoord.store.heldrecord import HeldClaim
from gitcoord.store.listing import Listing


class ClaimStorage(Protocol):
    remote: str  # the coordination remote's name, for fixes the user can type
    my_log_ref: str  # this agent's audit chain: every push of the protocol appends to it
    cwd: str  # the working tree, and remote_key the mirror's name: where fetched refs are
    remote_key: str

    def fetch_listing(self, wrote: Sequence[Claim] = (), *, also: Sequence[str] = ()) -> Listing:
        """Every claim on the remote, fetched now; `wrote`: claims just pushed (parsed in hand);
        `also`: more refspecs in the same fetch."""
        ...

    def read_listing(self, *, only: Collection[str] | None = None) -> Listing:
        """The claims as last fetched (no network); `only`: just these remote refs."""
        ...

    def write_claim_commits(self, claims: Sequence[Claim]) -> list[str]: ...

    def write_log_entry(self, message: str, parent: str | None) -> str: ...

    def push(self, updates: Sequence[RefUpdate]) -> PushResult: ...

    def cache_written(self, claims: Sequence[Claim]) -> None: ...

    def held(self) -> dict[str, HeldClaim]: ...

    def record_held(self, claims: Sequence[Claim]) -> None: ...

    def forget_held(self, refs: Collection[str]) -> None: ...

    def fetch_logs(self) -> None:
        """Fetch every agent's audit chain into the mirror (store/audit.py reads it)."""
        ...
