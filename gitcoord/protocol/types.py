"""What callers of the protocol ask for and get back."""

from __future__ import annotations

from typing import NamedTuple

from gitcoord.core.claim import Claim
from gitcoord.core.modes import Mode
from gitcoord.core.paths import ClaimPath
from gitcoord.git.transport import RefUpdate
from gitcoord.store.listing import InvalidRef


class Request(NamedTuple):
    path: ClaimPath
    mode: Mode


class ClaimOutcome(NamedTuple):
    held: list[Claim]
    taken_from: list[Claim]
    attempts: int = 1
    waited: float = 0.0


class BreakOutcome(NamedTuple):
    broken: list[Claim]
    removed: list[InvalidRef]  # unreadable objects at the path's write ref


class Riders:
    """Ref updates of another kind (a task's take) that go in a claim's first write: one
    atomic push with the provisional claims, so both land or neither does. `landed` once
    they have; from then on the claim's retries push only claims."""

    def __init__(self, updates: list[RefUpdate]) -> None:
        self.updates = updates
        self.landed = False

    def refs(self) -> set[str]:
        return {u.ref for u in self.updates}


class RidersStale(Exception):
    """A rider's lease was stale (the task moved first): nothing of the push landed."""

    def __init__(self, culprits: set[str]) -> None:
        super().__init__("a rider's lease was stale")
        self.culprits = culprits  # the refs whose leases failed the push
