"""A task's --paths, claimed for whoever runs it: in the same atomic push that takes the task
(the claim protocol's first write carries the task's move, protocol/types.Riders), renewed
by its heartbeats, and released when it leaves running.

All or nothing: that push lands the running task and the provisional claims together, or
neither. A conflict only the read after the write can see (a claim on a directory above one
of the paths, or inside one) retracts the claims, and the task is given back (pending, no
attempt counted) before the take moves on: it ends holding both, or neither.
"""

from __future__ import annotations

from gitcoord.core import timeutil
from gitcoord.core.claim import Claim
from gitcoord.core.config import Config
from gitcoord.core.identity import Identity
from gitcoord.core.modes import Mode
from gitcoord.core.paths import ClaimPath
from gitcoord.core.task import Task
from gitcoord.git.repo import Repo
from gitcoord.protocol import leases
from gitcoord.protocol.coordinator import Coordinator
from gitcoord.protocol.types import Request, Riders, RidersStale
from gitcoord.store.claimstore import ClaimStore
from gitcoord.store.listing import Listing


def claim_paths(task: Task) -> list[ClaimPath] | None:
    """The task's paths as claim paths; None when one is not (a hand-made task ref)."""
    try:
        return [ClaimPath.parse_stored(p) for p in task.paths]
    except ValueError:
        return None


def requests(task: Task) -> list[Request]:
    return [Request(p, Mode.WRITE) for p in claim_paths(task) or ()]


class TaskClaims:
    """The claim side of the queue's moves, as the task's owner (`me`)."""

    def __init__(self, repo: Repo, config: Config, me: Identity) -> None:
        self.coordinator = Coordinator(ClaimStore(repo, config, me), config, me)

    def listing(self) -> Listing:
        return self.coordinator.store.fetch_listing()

    def holders(self, task: Task, listing: Listing) -> list[Claim]:
        """The live claims of others in the way of the task's paths, in `listing`."""
        s = self.coordinator
        return leases.blockers(requests(task), listing, s.me, timeutil.now(), s.skew)

    def take(self, task: Task, riders: Riders, ttl: int) -> set[str]:
        """Claim the task's paths for `ttl` seconds with `riders` (the task's move) in the
        first push. The refs whose stale leases failed that push when a rider's was one of
        them (another taker moved the task first; nothing landed); empty once both hold.
        Raises as a claim does (Refused: the paths are held); `riders.landed` then says
        whether the task must be given back."""
        try:
            self.coordinator.claim(requests(task), ttl=ttl, reason=f"task {task.id}", riders=riders)
        except RidersStale as stale:
            return stale.culprits
        return set()

    def renew(self, task: Task, ttl: int) -> None:
        """Extend the claims on the task's paths with its lease (a heartbeat)."""
        paths = claim_paths(task)
        if paths:
            self.coordinator.renew(paths, ttl)

    def release(self, task: Task, commit: str | None, note: str) -> list[Claim]:
        """Release my claims on the task's paths (it left running); those the mirror no
        longer shows as mine (expired and taken, or released by hand) are left alone."""
        s = self.coordinator
        mine = {c.path.key for c in s.store.read_listing().claims if s.mine(c)}
        paths = [p for p in claim_paths(task) or () if p.key in mine]
        return s.release(paths, commit, note) if paths else []
