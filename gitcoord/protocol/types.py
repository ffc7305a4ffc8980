"""What callers of the protocol ask for and get back."""

from __future__ import annotations

from typing import NamedTuple

from gitcoord.core.claim import Claim
from gitcoord.core.modes import Mode
from gitcoord.core.paths import ClaimPath
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
