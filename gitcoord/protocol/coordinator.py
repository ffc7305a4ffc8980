"""The claim protocol (docs/design.md, "Protocol"): claim, renew, release and break.

Same-ref conflicts (two writers of one path) are refused by the server's compare-and-swap.
Conflicts across refs (a directory and a file in it, a writer and a reader) use write,
then read: one atomic push creates all my refs, then a fresh listing taken after the push
is acknowledged must show no live conflicting claim, else I retract with a leased delete.
A claim is pushed *provisional* (a short lease) and extended to its TTL only once that read
verified it, so a client killed in between blocks others briefly, not for its TTL. A
renewal is a write too: it holds only after the same read.

Wait-die gives liveness: an older contender (by first-attempt time) keeps its refs and waits
a little for younger provisional ones to retract; a younger one, or anyone who meets a
granted holder, retracts and waits as an ordinary waiter. Safety never depends on clocks:
holding always requires an empty conflict set in a listing taken after my own write.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import NamedTuple

from gitcoord.core import refnames, timeutil
from gitcoord.core.claim import PROVISIONAL_SECONDS, Claim, new_nonce
from gitcoord.core.config import Config
from gitcoord.core.durations import format_duration
from gitcoord.core.errors import CannotVerify, Refused
from gitcoord.core.modes import Mode
from gitcoord.core.overlap import conflicting
from gitcoord.core.paths import ClaimPath
from gitcoord.core.textsafe import printable
from gitcoord.core.wording import describe
from gitcoord.git.repo import Identity
from gitcoord.git.transport import PushOutcome, PushResult, RefUpdate
from gitcoord.store.audit import entry_message
from gitcoord.store.claimstore import ClaimStore, InvalidRef, Listing
from gitcoord.store.heldrecord import HeldClaim

MAX_STALE_RETRIES = 12

CONTEND_SECONDS = 3.0  # how long an older contender waits for younger provisional ones
MAX_TRANSPORT_RETRIES = 3


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


def _jitter(low: float, high: float) -> float:
    """A random backoff in [low, high); imports random only on a retry, not every claim."""
    import random

    return random.uniform(low, high)


def _quote(path: ClaimPath | str) -> str:
    text = printable(str(path))
    safe = all(ch.isalnum() or ch in "/._-" for ch in text)
    return text if safe else "'" + text.replace("'", "'\\''") + "'"


class _Blocked(Exception):
    def __init__(self, holders: list[Claim]) -> None:
        super().__init__("blocked")
        self.holders = holders


class Coordinator:
    def __init__(
        self,
        store: ClaimStore,
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

    # -- helpers ---------------------------------------------------------------------------

    def _mine(self, c: Claim) -> bool:
        return c.agent == self.me.agent and c.session == self.me.session

    def _log_update(self, listing: Listing, message: str) -> RefUpdate:
        oid = self.store.write_log_entry(message, listing.log_tip)
        return RefUpdate(self.store.my_log_ref, oid, listing.log_tip)

    def _remote_refusal(self, result: PushResult) -> Refused | None:
        """A server-side hook said no, or a ref shadows the layout: say which and why."""
        if result.outcome is not PushOutcome.REFUSED:
            return None
        shadow = result.shadowed()
        if shadow is not None:
            wanted, blocker = shadow
            return Refused(
                f"the ref {blocker} on the remote is in the way of {wanted}: it is not part of "
                "gitcoord's layout (a claim ref at the wrong depth, or a ref under a log ref)",
                fix=f"remove it: git push {self.store.remote} :{blocker}",
            )
        said = result.remote_said()
        detail = ("\n  " + "\n  ".join(printable(s) for s in said if s)) if said else ""
        return Refused(
            f"the remote refused the push ({result.refusals()[0].summary}){detail}",
            fix="read the server's message above; `gitcoord log` shows recent claim changes",
        )

    def _push_checked(self, updates: Sequence[RefUpdate]) -> PushResult:
        result = self.store.push(updates)
        refusal = self._remote_refusal(result)
        if refusal:
            raise refusal
        return result

    def _write(
        self, claims: Sequence[Claim], olds: Sequence[str | None], listing: Listing, message: str
    ) -> tuple[list[Claim], list[RefUpdate]]:
        """Stage `claims` (each replacing the OID in `olds`) and the log entry; the updates."""
        oids = self.store.write_claim_commits(claims)
        written = [c._replace(oid=o) for c, o in zip(claims, oids, strict=True)]
        updates = [RefUpdate(c.ref, c.oid, old) for c, old in zip(written, olds, strict=True)]
        updates.append(self._log_update(listing, message))
        self._last_log_entry = updates[-1].new
        return written, updates

    def _landed(self, updates: Sequence[RefUpdate], listing: Listing) -> bool:
        """Whether every claim ref of `updates` is as the push would have left it."""
        return all(
            (u.new is None and u.ref not in listing.by_ref)
            or (u.new is not None and getattr(listing.by_ref.get(u.ref), "oid", "") == u.new)
            for u in updates
            if u.ref != self.store.my_log_ref
        )

    # -- claim -----------------------------------------------------------------------------

    def claim(
        self,
        requests: Sequence[Request],
        *,
        ttl: int,
        reason: str,
        wait: float | None = None,
    ) -> ClaimOutcome:
        """Claim every request, all or nothing. `wait` (seconds, may be inf) queues until free.
        If anything stops it half-way (an interrupt, SIGTERM, an error), what it pushed and
        did not verify is retracted first."""
        try:
            return self._claim(requests, ttl=ttl, reason=reason, wait=wait)
        except BaseException:
            self.retract_unverified()
            raise

    def _claim(
        self, requests: Sequence[Request], *, ttl: int, reason: str, wait: float | None
    ) -> ClaimOutcome:
        requests = list(dict.fromkeys(requests))
        started = self.clock()
        priority_at = started
        deadline = started + wait if wait is not None else None
        # Planning needs only my refs' last known values and my log tip; the conflict check
        # after the push reads every claim from a fresh fetch.
        mine = [
            refnames.claim_ref(r.path.key, r.mode, self.me.agent, self.me.session) for r in requests
        ]
        listing = self.store.read_listing(only=mine)
        fresh = False
        attempts = 0
        transport_failures = 0
        stale = 0
        while True:
            attempts += 1
            at = self.clock()
            try:
                claims, previous = self._plan(requests, listing, at, ttl, reason, priority_at)
            except _Blocked as blocked:
                if not fresh:
                    listing, fresh = self.store.fetch_listing(), True
                    continue
                listing = self._wait_or_refuse(
                    blocked.holders, requests, deadline, started, listing
                )
                continue
            message = entry_message(
                "claim", self.me, claims, at=at, reason=reason, previous=previous
            )
            olds = [self._expect(listing, c.ref) for c in claims]
            claims, updates = self._write(claims, olds, listing, message)
            # From here the claims may be on the remote (an interrupted push may still land):
            # an interrupt retracts them, leased on their new OIDs, so only if they landed.
            self.unverified.update((c.ref, c) for c in claims)
            try:
                result = self._push_checked(updates)
            except Refused:
                # A server with gitcoord's hooks refuses an overlapping claim outright
                # (docs/server.md): when a fresh listing shows the holder, this is an
                # ordinary conflict, so wait (--wait) or refuse naming the holder.
                self._verified(claims)  # refused: nothing of it landed
                listing, fresh = self.store.fetch_listing(), True
                holders = self._blockers(requests, listing, self.clock())
                if not holders:
                    raise
                listing = self._wait_or_refuse(holders, requests, deadline, started, listing)
                continue
            if result.outcome is PushOutcome.STALE:
                self._verified(claims)  # rejected: nothing of it landed
                stale += 1
                if stale > MAX_STALE_RETRIES:
                    raise CannotVerify(
                        "the remote kept rejecting the claim push: "
                        + "; ".join(s.summary for s in result.culprits()),
                        fix="retry; if it persists, check the server's hooks and logs",
                    )
                listing, fresh = self.store.fetch_listing(), True
                continue  # stale lease: replan from the fresh listing
            # The read after my write (after an unanswered push, it also tells whether
            # the push landed: refs with my OIDs mean it did).
            listing, fresh = self.store.fetch_listing(wrote=claims), True
            unanswered = result.outcome is PushOutcome.UNANSWERED
            if unanswered and not all(self._holds(listing, c) for c in claims):
                self._retract(claims, listing)  # whatever part of it did land
                transport_failures += 1
                if transport_failures >= MAX_TRANSPORT_RETRIES:
                    raise CannotVerify(
                        "the claim push failed and did not land: "
                        + (result.result.err.strip().splitlines() or ["no output"])[-1],
                        fix="retry the same `git claim` command",
                    )
                continue
            verdict = self._verify(claims, listing, requests, deadline, started)
            if verdict is not None:
                listing = verdict
                continue
            granted = self._grant(claims, listing, requests, deadline, started)
            if isinstance(granted, Listing):
                listing = granted  # lost while provisional: start again
                continue
            self.store.record_held(granted)
            return ClaimOutcome(
                held=granted,
                taken_from=previous,
                attempts=attempts,
                waited=self.clock() - started,
            )

    def _expect(self, listing: Listing, ref: str) -> str | None:
        existing = listing.by_ref.get(ref)
        return existing.oid if existing is not None else None

    def _holds(self, listing: Listing, claim: Claim) -> bool:
        found = listing.by_ref.get(claim.ref)
        return isinstance(found, Claim) and found.oid == claim.oid

    def _plan(
        self,
        requests: Sequence[Request],
        listing: Listing,
        at: float,
        ttl: int,
        reason: str,
        priority_at: float,
    ) -> tuple[list[Claim], list[Claim]]:
        """The provisional claim commits to write, and the expired claims they replace;
        or _Blocked."""
        claims: list[Claim] = []
        previous: list[Claim] = []
        blocked: list[Claim] = []
        for req in requests:
            ref = refnames.claim_ref(req.path.key, req.mode, self.me.agent, self.me.session)
            existing = listing.by_ref.get(ref)
            claim_id = os.urandom(6).hex()
            if isinstance(existing, InvalidRef):
                if existing.newer_format:
                    raise _newer_format(existing, str(req.path))
            elif isinstance(existing, Claim):
                if self._mine(existing):
                    claim_id = existing.id  # re-claiming renews in place (verified again)
                elif listing.expired(existing, at, self.skew):
                    previous.append(existing)
                else:
                    blocked.append(existing)
            template = Claim(
                id=claim_id,
                path=req.path,
                mode=req.mode,
                agent=self.me.agent,
                host=self.me.host,
                worktree=self.me.worktree,
                session=self.me.session,
                reason=reason,
                ttl=ttl,
                created_at=at,
                expires_at=at + ttl,
                priority_at=priority_at,
                ref=ref,
            )
            claims.append(template.renewed(at, ttl, provisional=True))
        if blocked:
            raise _Blocked(blocked)
        return claims, previous

    def _conflicts(self, mine: Sequence[Claim], listing: Listing, at: float) -> list[Claim]:
        refs = {c.ref for c in mine}
        live = [c for c in listing.live(at, self.skew) if c.ref not in refs]
        return conflicting(mine, live)

    def _verify(
        self,
        claims: list[Claim],
        listing: Listing,
        requests: Sequence[Request],
        deadline: float | None,
        started: float,
        *,
        holding: bool = False,
    ) -> Listing | None:
        """None when I hold every claim; else a fresh listing to retry from (after retracting).

        Wait-die: I yield (retract) to a granted holder, and to an older provisional
        contender; younger provisional contenders will yield to me, so I wait for them, but
        only briefly: one that was verified before my write arrived goes on to be granted.
        `holding`: the claims are a renewal that was live throughout, so every provisional
        contender's read saw them and it will yield; only a granted conflict (which cannot
        arise) defeats them. Raises Refused when there is no time left to wait.
        """
        my_priority = (claims[0].priority_at, self.me.agent, self.me.session)
        contend_until = self.clock() + self.contend
        while True:
            at = self.clock()
            if not all(self._holds(listing, c) for c in claims):
                # Taken from under me (only possible through an expiry): start again.
                self._retract(claims, listing)
                return self.store.fetch_listing()
            conflicts = self._conflicts(claims, listing, at)
            if holding:  # provisional contenders saw my live claim and will yield
                conflicts = [c for c in conflicts if not c.provisional]
            if not conflicts:
                return None
            granted = [c for c in conflicts if not c.provisional]
            older = [c for c in conflicts if (c.priority_at, c.agent, c.session) < my_priority]
            if granted or (older and not holding) or at >= contend_until:
                break
            self.sleep(_jitter(0.05, 0.2))
            listing = self.store.fetch_listing()
        self._retract(claims, listing)
        fresh = self.store.fetch_listing()
        return self._wait_or_refuse(conflicts, requests, deadline, started, fresh)

    def _grant(
        self,
        claims: list[Claim],
        listing: Listing,
        requests: Sequence[Request],
        deadline: float | None,
        started: float,
    ) -> list[Claim] | Listing:
        """Extend verified provisional claims to their full lease. The granted claims, or
        a fresh listing to start again from when they were lost meanwhile.

        An extension acknowledged before the provisional lease ended needs no read after
        it: the claim was live throughout in every reader's eyes (they wait for their own
        observation of it for its lease plus skew), so no conflicting claim was granted.
        One acknowledged later is a new write, and is verified like one.
        """
        pending = [c for c in claims if c.provisional]
        if not pending:
            self._verified(claims)
            return claims
        for _ in range(MAX_TRANSPORT_RETRIES + 2):
            at = self.clock()
            full = [
                c._replace(
                    provisional=False, expires_at=c.created_at + c.ttl, nonce=new_nonce(), oid=""
                )
                for c in pending
            ]
            message = entry_message("grant", self.me, full, at=at)
            full, updates = self._write(full, [c.oid for c in pending], listing, message)
            result = self._push_checked(updates)
            if not result.landed:
                listing = self.store.fetch_listing(wrote=full)
                if not self._landed(updates, listing):
                    if all(self._holds(listing, c) for c in pending):
                        continue  # not delivered, or only my log tip was stale: again
                    self._retract(pending, listing)  # lost while provisional
                    return self.store.fetch_listing()
            acked = self.clock()
            self.store.cache_written(full)
            granted = [next((f for f in full if f.ref == c.ref), c) for c in claims]
            self.unverified.update((g.ref, g) for g in granted)
            if any(acked >= c.lease_end for c in pending):
                listing = self.store.fetch_listing(wrote=full)
                verdict = self._verify(granted, listing, requests, deadline, started)
                if verdict is not None:
                    return verdict
            self._verified(granted)
            return granted
        raise CannotVerify(
            "could not extend the verified claim to its lease; it expires in "
            f"{format_duration(pending[0].lease_seconds)}",
            fix="run the same `git claim` again (it renews in place)",
        )

    def _verified(self, claims: Sequence[Claim]) -> None:
        for c in claims:
            self.unverified.pop(c.ref, None)

    def _wait_or_refuse(
        self,
        holders: list[Claim],
        requests: Sequence[Request],
        deadline: float | None,
        started: float,
        listing: Listing | None = None,
    ) -> Listing:
        """Refuse now, or (with --wait) wait until the requested paths look free."""
        at = self.clock()
        if deadline is None or at >= deadline:
            raise self._refusal(holders, requests, at, listing, waited=deadline is not None)
        shown = ""
        backoff = _jitter(0.05, 0.3)
        while True:
            line = "waiting: " + "; ".join(self._describe(h, at, listing) for h in holders[:3])
            if line != shown:
                self.progress(f"{line} ({format_duration(at - started)} so far)")
                shown = line
            self.sleep(min(backoff, max(0.0, deadline - at)))
            backoff = min(backoff * 1.6, 2.0)
            listing = self.store.fetch_listing()
            at = self.clock()
            holders = self._blockers(requests, listing, at)
            if not holders:
                return listing
            if at >= deadline:
                raise self._refusal(holders, requests, at, listing, waited=True)

    def _blockers(self, requests: Sequence[Request], listing: Listing, at: float) -> list[Claim]:
        probes = [
            Claim(
                id="",
                path=r.path,
                mode=r.mode,
                agent=self.me.agent,
                host="",
                worktree="",
                session=self.me.session,
                reason="",
                ttl=1,
                created_at=at,
                expires_at=at,
                priority_at=at,
            )
            for r in requests
        ]
        return self._conflicts(probes, listing, at)

    def _describe(self, c: Claim, at: float, listing: Listing | None) -> str:
        return describe(c, at, listing.takeover_at(c, self.skew) if listing else None)

    def _refusal(
        self,
        holders: list[Claim],
        requests: Sequence[Request],
        at: float,
        listing: Listing | None,
        *,
        waited: bool,
    ) -> Refused:
        seen: dict[str, Claim] = {c.ref: c for c in holders}
        lines = [self._describe(c, at, listing) for c in seen.values()]
        paths = " ".join(_quote(r.path) for r in requests)
        first = next(iter(seen.values()))
        head = "gave up waiting: " if waited else "refused: "
        message = head + lines[0]
        if len(lines) > 1:
            message += "".join(f"\n  also: {ln}" for ln in lines[1:])
        fix = (
            f"wait for it: `git claim --wait {paths}`; ask {printable(first.agent)} to release "
            f"(`git claim -d {_quote(first.path)}`); or break it: "
            f"`git claim --break {_quote(first.path)} -r REASON`"
        )
        return Refused(message, fix=fix)

    def _retract(self, claims: Sequence[Claim], listing: Listing) -> None:
        """Delete my just-written refs, each leased on my OID, with a 'retract' log entry."""
        for _ in range(MAX_TRANSPORT_RETRIES + 2):
            mine = [c for c in claims if self._holds(listing, c)]
            if not mine:
                self._verified(claims)
                return
            at = self.clock()
            updates = [RefUpdate(c.ref, None, c.oid) for c in mine]
            updates.append(
                self._log_update(listing, entry_message("retract", self.me, mine, at=at))
            )
            result = self._push_checked(updates)
            if result.landed:
                self._verified(claims)
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
            pending = list(self.unverified.values())
            # First without a fetch (the interrupt may have left the clone's refs locked):
            # leased on my claims' OIDs and on the log entry my last push wrote, it lands
            # exactly when that push did.
            if self._last_log_entry is not None:
                at = self.clock()
                updates = [RefUpdate(c.ref, None, c.oid) for c in pending]
                message = entry_message("retract", self.me, pending, at=at)
                tip = self._last_log_entry
                oid = self.store.write_log_entry(message, tip)
                updates.append(RefUpdate(self.store.my_log_ref, oid, tip))
                if self._push_checked(updates).landed:
                    self._verified(pending)
                    return
            # A push cut short by the interrupt may still be landing on the server: look a
            # few times before concluding it did not (its provisional lease bounds the rest).
            for attempt in range(4):
                listing = self.store.fetch_listing()
                if any(self._holds(listing, c) for c in pending) or attempt == 3:
                    break
                self.sleep(0.5)
            self._retract(pending, listing)
        except Exception as exc:
            self.progress(
                "note: could not make sure that nothing of this claim was left on the remote "
                f"({exc}); if anything landed, its provisional lease ends it within "
                f"{PROVISIONAL_SECONDS}s"
            )
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)

    # -- renew, release, break ---------------------------------------------------------------

    def _gone(
        self, lost: Sequence[HeldClaim], listing: Listing, at: float, done: int, verb: str
    ) -> None:
        """Raise for the claims I was granted that are no longer mine on the remote, naming
        who broke or took them (from the audit trail) and who holds the path now. Claims
        my own session released or retracted (a command killed before it noted so) are
        not lost. Every one is forgotten: a loss is reported once."""
        self.store.forget_held([h.ref for h in lost])
        gone: list[tuple[HeldClaim, str]] = []
        for h in lost:
            fate = self.store.fate(h.id)
            if fate is not None and fate[0] in ("release", "retract") and fate[1] == self.me.agent:
                continue
            by = {"break": "broken by", "take": "taken over after it expired by"}
            gone.append((h, f"{by[fate[0]]} {fate[1]}" if fate else "it expired and was removed"))
        if not gone:
            return
        first, how = gone[0]
        path = ClaimPath.parse_stored(first.path)
        others = [c for c in listing.claims if c.path.key == path.key and not self._mine(c)]
        message = f"your claim on {printable(first.path)} was lost ({printable(how)})"
        if others:
            message += ": " + "; ".join(self._describe(c, at, listing) for c in others)
        if len(gone) > 1:
            message += "; also lost: " + ", ".join(
                f"another claim on {printable(h.path)}"
                if h.path == first.path
                else printable(h.path)
                for h, _ in gone[1:]
            )
        if done:
            message += f" (your other {done} claim(s) were {verb})"
        raise Refused(
            message,
            fix=f"see `gitcoord log {_quote(first.path)}`; claim it again when free: "
            f"`git claim --wait {_quote(first.path)}`",
        )

    def _missing(self, path: ClaimPath, listing: Listing | None = None) -> Refused:
        at = self.clock()
        others = (
            []
            if listing is None
            else [c for c in listing.claims if c.path.key == path.key and not self._mine(c)]
        )
        held = (
            ": " + "; ".join(self._describe(c, at, listing) for c in others)
            if others
            else (" (it expired and was taken, was broken, or never existed)")
        )
        return Refused(
            f"you hold no claim on {printable(str(path))}{held}",
            fix=f"see `gitcoord log {_quote(path)}`; `git claim` lists live claims",
        )

    def _select_mine(
        self, paths: Sequence[ClaimPath] | None, listing: Listing
    ) -> tuple[list[Claim], list[ClaimPath]]:
        """My claims (all, or those on `paths`), and the paths I hold nothing on."""
        mine = [c for c in listing.claims if self._mine(c)]
        if paths is None:
            return mine, []
        chosen: list[Claim] = []
        missing: list[ClaimPath] = []
        for p in dict.fromkeys(paths):
            found = [c for c in mine if c.path.key == p.key]
            if not found:
                missing.append(p)
            chosen.extend(found)
        return chosen, missing

    def _update_mine(
        self,
        paths: Sequence[ClaimPath] | None,
        build: Callable[[list[Claim], Listing, float], tuple[list[RefUpdate], list[Claim]]],
    ) -> tuple[list[Claim], Listing, list[HeldClaim]]:
        """Push `build`'s updates of my claims (all, or those on `paths`). What was done,
        the listing it was planned on, and the claims I was granted that are gone."""
        held = self.store.held()
        result: PushResult | None = None
        for _ in range(MAX_TRANSPORT_RETRIES + 2):
            listing = self.store.fetch_listing()
            at = self.clock()
            targets, missing = self._select_mine(paths, listing)
            mine_now = {(c.ref, c.id) for c in listing.claims if self._mine(c)}
            wanted = {p.key for p in paths} if paths is not None else None
            lost = [
                h
                for h in held.values()
                if (h.ref, h.id) not in mine_now
                and (wanted is None or ClaimPath.parse_stored(h.path).key in wanted)
            ]
            lost_keys = {ClaimPath.parse_stored(h.path).key for h in lost}
            unknown = [p for p in missing if p.key not in lost_keys]
            if unknown:
                raise self._missing(unknown[0], listing)
            if not targets:
                return [], listing, lost
            updates, done = build(targets, listing, at)
            result = self._push_checked(updates)
            if result.landed:
                return done, listing, lost
            if not result.answered and self._landed(updates, self.store.fetch_listing()):
                return done, listing, lost
        assert result is not None
        said = "; ".join(s.summary for s in result.culprits()) or result.result.err.strip()
        raise CannotVerify(
            f"the remote kept rejecting this update: {said[-300:]}",
            fix="retry the command; if it persists, ask the server's admin to check its logs "
            "(a crashed git process can leave a stale .lock file in the repository)",
        )

    def renew(self, paths: Sequence[ClaimPath] | None, ttl: int | None = None) -> list[Claim]:
        """Extend my claims. A renewal is a write: it holds only after a read taken after its
        push shows no conflict. One whose lease had ended (or was never verified) is a new
        claim: pushed provisional, verified, then granted."""
        margin = self.skew
        continuous: dict[str, float] = {}  # ref -> the lease end of the version renewed

        def build(
            targets: list[Claim], listing: Listing, at: float
        ) -> tuple[list[RefUpdate], list[Claim]]:
            continuous.clear()
            fresh = []
            for c in targets:
                live = not c.provisional and at < c.lease_end - margin
                if live:
                    continuous[c.ref] = c.lease_end
                fresh.append(c.renewed(at, ttl, provisional=not live))
            written, updates = self._write(
                fresh,
                [c.oid for c in targets],
                listing,
                entry_message("renew", self.me, fresh, at=at),
            )
            return updates, written

        try:
            done, listing, lost = self._update_mine(paths, build)
            if done:
                done = self._settle_renewal(done, continuous)
        except BaseException:
            self.retract_unverified()
            raise
        if lost:
            self._gone(lost, listing, self.clock(), len(done), "renewed")
        return done

    def _settle_renewal(self, renewed: list[Claim], continuous: dict[str, float]) -> list[Claim]:
        """The read after a renewal's write; then grant the ones that were new writes.

        A renewal acknowledged after the lease it renewed had ended was not continuous
        after all (a slow link, a suspended laptop): a claim may have been granted over it
        meanwhile, so it is verified like a new claim, and withdrawn if one was."""
        acked = self.clock()
        held = [c for c in renewed if c.ref in continuous and acked < continuous[c.ref]]
        new = [c for c in renewed if c not in held]
        self.unverified.update((c.ref, c) for c in new)
        listing = self.store.fetch_listing(wrote=renewed)
        out: list[Claim] = []
        for group, holding in ((held, True), (new, False)):
            if not group:
                continue
            try:
                verdict = self._verify(group, listing, [], None, 0.0, holding=holding)
            except Refused as exc:
                self.store.forget_held([c.ref for c in group])
                raise Refused(
                    f"your claim on {printable(str(group[0].path))} had expired and was "
                    f"superseded (withdrawn): {exc.message.removeprefix('refused: ')}",
                    fix=f"see `gitcoord log {_quote(group[0].path)}`; claim it again when free: "
                    f"`git claim --wait {_quote(group[0].path)}`",
                ) from None
            # No deadline, so a conflict raised above; a Listing means one was taken from
            # under me before the read (only through an expiry, or a break).
            granted = verdict if verdict is not None else group
            if not holding and verdict is None:
                granted = self._grant(group, listing, [], None, 0.0)
            if isinstance(granted, Listing):
                self.store.forget_held([c.ref for c in group])
                raise self._missing(group[0].path, granted)
            out += granted
        self.store.record_held(out)
        order = {c.ref: n for n, c in enumerate(renewed)}
        return sorted(out, key=lambda c: order.get(c.ref, 0))

    def release(self, paths: Sequence[ClaimPath] | None, commit: str | None = None) -> list[Claim]:
        def build(
            targets: list[Claim], listing: Listing, at: float
        ) -> tuple[list[RefUpdate], list[Claim]]:
            updates = [RefUpdate(c.ref, None, c.oid) for c in targets]
            message = entry_message("release", self.me, targets, at=at, commit=commit)
            updates.append(self._log_update(listing, message))
            return updates, targets

        done, listing, lost = self._update_mine(paths, build)
        self.store.forget_held([c.ref for c in done])
        if lost:
            self._gone(lost, listing, self.clock(), len(done), "released")
        return done

    def break_claims(self, path: ClaimPath, reason: str) -> BreakOutcome:
        if not self.config.claims.allow_break:
            raise Refused(
                f"breaking claims is not allowed here ([claims] allow_break = false); "
                f"{path} stays claimed",
                fix="ask the holder to release it, or wait for it to expire",
            )
        write_ref = refnames.WRITE + refnames.path_key(path.key)
        for _ in range(MAX_TRANSPORT_RETRIES + 2):
            listing = self.store.fetch_listing()
            at = self.clock()
            targets = [c for c in listing.claims if c.path.key == path.key and not self._mine(c)]
            junk = [i for i in listing.invalid if i.ref == write_ref]
            newer = [i for i in junk if i.newer_format]
            if newer:
                raise _newer_format(newer[0], str(path))
            if not targets and not junk:
                raise Refused(
                    f"no claim of another agent on {path} to break",
                    fix="`git claim` lists live claims",
                )
            updates = [RefUpdate(c.ref, None, c.oid) for c in targets]
            updates += [RefUpdate(i.ref, None, i.oid) for i in junk]
            message = entry_message("break", self.me, [], at=at, reason=reason, previous=targets)
            updates.append(self._log_update(listing, message))
            result = self._push_checked(updates)
            if result.landed or (
                not result.answered and self._landed(updates, self.store.fetch_listing())
            ):
                return BreakOutcome(targets, junk)
        raise CannotVerify("the remote kept changing while breaking", fix="retry the command")


def _newer_format(existing: InvalidRef, path: str) -> CannotVerify:
    return CannotVerify(
        f"{existing.ref} holds a claim on {printable(path)} from a newer gitcoord: "
        f"{existing.problem}; an older gitcoord never overwrites or deletes it",
        fix="upgrade gitcoord: pip install -U gitcoord",
    )
