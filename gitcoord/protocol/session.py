"""What every step of the protocol shares: who I am, the storage, the clock, and the pushes
this process made and has not yet verified (what an interrupt must take back)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence

from gitcoord.core import timeutil
from gitcoord.core.auditlog import LogEntry, entry_messages
from gitcoord.core.claim import PROVISIONAL_SECONDS, Claim, Holder
from gitcoord.core.config import Config
from gitcoord.core.errors import CannotVerify
from gitcoord.core.identity import Identity
from gitcoord.core.waiter import Waiter
from gitcoord.git.transport import PushOutcome, PushResult, RefUpdate
from gitcoord.protocol import leases
from gitcoord.protocol.messages import holder, push_refused
from gitcoord.protocol.storage import ClaimStorage
from gitcoord.store.audit import mirrored_trail
from gitcoord.store.listing import Listing

CONTEND_SECONDS = 3.0  # how long an older contender waits for younger provisional ones
MAX_TRANSPORT_RETRIES = 3
MAX_NAMED = 20  # overlapping claims a retraction's log entry names
INTERRUPTED = "interrupted before it was verified"  # why retract_unverified took claims back


def holds(listing: Listing, claim: Claim) -> bool:
    """Whether the remote (as listed) has exactly this version of my claim at its ref."""
    found = listing.by_ref.get(claim.ref)
    return isinstance(found, Claim) and found.oid == claim.oid


class Session:
    def __init__(
        self,
        store: ClaimStorage,
        config: Config,
        me: Identity,
        *,
        clock: Callable[[], float] = timeutil.now,
        sleep: Callable[[float], None] = time.sleep,
        progress: Callable[[str], None] | None = None,
        contend: float = CONTEND_SECONDS,
    ) -> None:
        self.store = store
        self.config = config
        self.me = me
        self.clock = clock
        self.sleep = sleep
        self.progress = progress or (lambda _msg: None)
        self.contend = contend
        self.skew = float(config.claims.clock_skew)
        # Claims this process pushed and has not yet verified (or retracted): what an
        # interrupt must take back (retract_unverified).
        self.unverified: dict[str, Claim] = {}
        self._last_log_entry: str | None = None  # the log tip if my last push landed
        self.waiter: Waiter | None = None  # my place in the queue, while published (queue.py)
        self.unseen = False  # the remote refused my waiter: this process waits unseen

    @property
    def holder(self) -> Holder:
        """Who I am as a holder: my agent in this session (my other sessions are others)."""
        return Holder(self.me.agent, self.me.session)

    def mine(self, c: Claim) -> bool:
        return leases.is_mine(c, self.me)

    def describe(self, c: Claim, at: float, listing: Listing | None) -> str:
        return holder(c, at, listing, self.skew, self.holder)

    def audit_trail(self) -> list[LogEntry]:
        """Every agent's audit entries, fetched now, oldest first: for the rare refusals
        that say what became of a claim (broken, taken, released, expired). The refusal
        stands without it: when the fetch fails, the entries as last fetched tell."""
        with contextlib.suppress(CannotVerify):
            self.store.fetch_logs()
        return mirrored_trail(self.store.cwd, self.store.remote_key)

    def log_update(self, listing: Listing, messages: Sequence[str]) -> RefUpdate:
        """Append the entries `messages` to my audit chain, leased on the tip `listing` saw."""
        return self.chained(messages, listing.log_tip)

    def chained(self, messages: Sequence[str], tip: str | None) -> RefUpdate:
        """My log ref's update appending `messages` (chained, in order) to `tip`."""
        oid = self.store.write_log_entry(messages[0], tip)
        for message in messages[1:]:
            oid = self.store.write_log_entry(message, oid)
        return RefUpdate(self.store.my_log_ref, oid, tip)

    def push(self, updates: Sequence[RefUpdate]) -> PushResult:
        """One atomic push; raises Refused when the server refused it (PushOutcome.REFUSED)."""
        result = self.store.push(updates)
        if result.outcome is PushOutcome.REFUSED:
            raise push_refused(result, self.store.remote)
        return result

    def write(
        self,
        claims: Sequence[Claim],
        olds: Sequence[str | None],
        listing: Listing,
        messages: Sequence[str],
    ) -> tuple[list[Claim], list[RefUpdate]]:
        """Stage `claims` (each replacing the OID in `olds`) and the log entry; the updates."""
        oids = self.store.write_claim_commits(claims)
        written = [c._replace(oid=o) for c, o in zip(claims, oids, strict=True)]
        updates = [RefUpdate(c.ref, c.oid, old) for c, old in zip(written, olds, strict=True)]
        updates.append(self.log_update(listing, messages))
        self._last_log_entry = updates[-1].new
        return written, updates

    def verified(self, claims: Sequence[Claim]) -> None:
        for c in claims:
            self.unverified.pop(c.ref, None)

    def retract(
        self,
        claims: Sequence[Claim],
        listing: Listing,
        *,
        why: str = "",
        overlapped: Sequence[Claim] = (),
    ) -> None:
        """Delete my just-written refs, each leased on my OID, with a 'retract' log entry
        saying why: the claims they `overlapped` (a refused attempt), or `why`."""
        if overlapped:
            why = "overlapped " + ", ".join(
                f"{c.agent}'s {c.mode.value} claim on {c.path}" for c in overlapped[:3]
            )
            if len(overlapped) > 3:
                why += f" and {len(overlapped) - 3} more"
            overlapped = overlapped[:MAX_NAMED]  # the log entry names a few, not thousands
        for _ in range(MAX_TRANSPORT_RETRIES + 2):
            mine = [c for c in claims if holds(listing, c)]
            if not mine:
                self.verified(claims)
                return
            at = self.clock()
            updates = [RefUpdate(c.ref, None, c.oid) for c in mine]
            messages = entry_messages(
                "retract", self.me, mine, at=at, reason=why, overlapped=overlapped
            )
            updates.append(self.log_update(listing, messages))
            if self.push(updates).landed:
                self.verified(claims)
                return
            listing = self.store.fetch_listing()
        raise CannotVerify(
            "could not retract a conflicting claim; it will expire at its TTL",
            fix="run `git claim -d --all` to release your claims",
        )

    def retract_unverified(self) -> None:
        """After an interrupt or error: take back what this process pushed and did not
        verify. Best effort, with further interrupts held off: if the remote cannot be
        reached, the refs' provisional lease ends them soon anyway."""
        if not self.unverified:
            return
        import signal

        try:
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        except ValueError:  # not the main thread: nothing to hold off
            previous = None
        try:
            self._take_back(list(self.unverified.values()))
        except Exception as exc:
            self.progress(
                "note: could not make sure that nothing of this claim was left on the remote "
                f"({exc}); if anything landed, its provisional lease ends it within "
                f"{PROVISIONAL_SECONDS}s"
            )
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)

    def _take_back(self, pending: list[Claim]) -> None:
        # First without a fetch (the interrupt may have left the clone's refs locked):
        # leased on my claims' OIDs and on the log entry my last push wrote, it lands
        # exactly when that push did.
        if self._last_log_entry is not None:
            at = self.clock()
            updates = [RefUpdate(c.ref, None, c.oid) for c in pending]
            messages = entry_messages("retract", self.me, pending, at=at, reason=INTERRUPTED)
            updates.append(self.chained(messages, self._last_log_entry))
            if self.push(updates).landed:
                self.verified(pending)
                return
        # A push cut short by the interrupt may still be landing on the server: look a
        # few times before concluding it did not (its provisional lease bounds the rest).
        for attempt in range(4):
            listing = self.store.fetch_listing()
            if any(holds(listing, c) for c in pending) or attempt == 3:
                break
            self.sleep(0.5)
        self.retract(pending, listing, why=INTERRUPTED)
