"""The claim protocol (docs/design.md, "Protocol"): claim, renew, release and break.

Same-ref conflicts (two writers of one path) are refused by the server's compare-and-swap.
Conflicts across refs (a directory and a file in it, a writer and a reader) use write,
then read: one atomic push creates all my refs, then a fresh listing taken after the push
is acknowledged must show no live conflicting claim, else I retract with a leased delete.
Wait-die gives liveness: the older contender (by first-attempt time) keeps its refs and
waits; a younger one retracts and backs off. Safety never depends on clocks: holding always
requires an empty conflict set in a listing taken after my own write.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Sequence
from typing import NamedTuple

from gitcoord import refnames, timeutil
from gitcoord.audit import entry_message
from gitcoord.claim import Claim, new_nonce
from gitcoord.config import Config
from gitcoord.durations import format_duration
from gitcoord.errors import CannotVerify, Refused
from gitcoord.modes import Mode
from gitcoord.pathindex import conflicting
from gitcoord.paths import ClaimPath
from gitcoord.repo import Identity
from gitcoord.store import ClaimStore, InvalidRef, Listing
from gitcoord.transport import PushResult, RefUpdate

# The server's compare-and-swap lost a race (a ref changed after the advertisement): this is
# a stale lease, answered by a fresh listing, not a refusal by a server hook.
_LOST_RACE = r"atomic transaction failed|failed to lock|cannot lock ref|stale info"  # re caches
MAX_STALE_RETRIES = 12

CONTEND_SECONDS = 3.0  # without --wait: how long an older contender waits for younger ones
MAX_TRANSPORT_RETRIES = 3


class Request(NamedTuple):
    path: ClaimPath
    mode: Mode


class ClaimOutcome(NamedTuple):
    held: list[Claim]
    taken_from: list[Claim]
    attempts: int = 1
    waited: float = 0.0


def _jitter(low: float, high: float) -> float:
    """A random backoff in [low, high); imports random only on a retry, not every claim."""
    import random

    return random.uniform(low, high)


def describe(c: Claim, at: float) -> str:
    left = c.expires_at - at
    when = f"expires in {format_duration(left)}" if left > 0 else "expired"
    why = f', reason: "{c.reason}"' if c.reason else ""
    return f"{c.path} is claimed by {c.agent} ({c.mode.value}, {when}{why})"


def _quote(path: ClaimPath) -> str:
    text = str(path)
    safe = all(ch.isalnum() or ch in "/._-" for ch in text)
    return text if safe else "'" + text.replace("'", "'\\''") + "'"


class _Blocked(Exception):
    def __init__(self, holders: list[Claim], same_ref: bool) -> None:
        super().__init__("blocked")
        self.holders = holders
        self.same_ref = same_ref


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

    # -- helpers ---------------------------------------------------------------------------

    def _mine(self, c: Claim) -> bool:
        return c.agent == self.me.agent and c.session == self.me.session

    def _log_update(self, listing: Listing, message: str) -> RefUpdate:
        oid = self.store.write_log_entry(message, listing.log_tip)
        return RefUpdate(self.store.my_log_ref, oid, listing.log_tip)

    def _remote_refusal(self, result: PushResult) -> Refused | None:
        """A server-side hook said no: pass its words on."""
        culprits = [
            s
            for s in result.culprits()
            if "remote rejected" in s.summary and not re.search(_LOST_RACE, s.summary)
        ]
        if not culprits:
            return None
        said = [ln[7:].strip() for ln in result.result.err.splitlines() if ln.startswith("remote:")]
        detail = ("\n  " + "\n  ".join(s for s in said if s)) if said else ""
        return Refused(
            f"the remote refused the push ({culprits[0].summary}){detail}",
            fix="read the server's message above; `gitcoord log` shows recent claim changes",
        )

    def _push_checked(self, updates: Sequence[RefUpdate]) -> PushResult:
        result = self.store.push(updates)
        refusal = self._remote_refusal(result)
        if refusal:
            raise refusal
        return result

    def _only_log_stale(self, result: PushResult) -> bool:
        culprits = result.culprits()
        return bool(culprits) and all(s.ref == self.store.my_log_ref for s in culprits)

    # -- claim -----------------------------------------------------------------------------

    def claim(
        self,
        requests: Sequence[Request],
        *,
        ttl: int,
        reason: str,
        wait: float | None = None,
    ) -> ClaimOutcome:
        """Claim every request, all or nothing. `wait` (seconds, may be inf) queues until free."""
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
                plan = self._plan(requests, listing, at, ttl, reason, priority_at)
            except _Blocked as blocked:
                if not fresh:
                    listing, fresh = self.store.fetch_listing(), True
                    continue
                listing = self._wait_or_refuse(blocked.holders, requests, deadline, started)
                continue
            claims, previous = plan
            oids = self.store.write_claim_commits(claims)
            claims = [c._replace(oid=o) for c, o in zip(claims, oids, strict=True)]
            message = entry_message(
                "claim", self.me, claims, at=at, reason=reason, previous=previous
            )
            expects = {c.ref: self._expect(listing, c.ref) for c in claims}
            updates = [RefUpdate(c.ref, c.oid, expects[c.ref]) for c in claims]
            updates.append(self._log_update(listing, message))
            try:
                result = self._push_checked(updates)
            except Refused:
                # A server with gitcoord's hooks refuses an overlapping claim outright
                # (docs/server.md): when a fresh listing shows the holder, this is an
                # ordinary conflict, so wait (--wait) or refuse naming the holder.
                listing, fresh = self.store.fetch_listing(), True
                holders = self._blockers(requests, listing, self.clock())
                if not holders:
                    raise
                listing = self._wait_or_refuse(holders, requests, deadline, started)
                continue
            if result.answered and not result.landed:
                stale += 1
                if stale > MAX_STALE_RETRIES:
                    raise CannotVerify(
                        "the remote kept rejecting the claim push: "
                        + "; ".join(s.summary for s in result.culprits()),
                        fix="retry; if it persists, check the server's hooks and logs",
                    )
                listing, fresh = self.store.fetch_listing(), True
                continue  # stale lease: replan from the fresh listing
            if not result.answered:
                listing, fresh = self.store.fetch_listing(wrote=claims), True
                if not all(self._holds(listing, c) for c in claims):
                    transport_failures += 1
                    if transport_failures >= MAX_TRANSPORT_RETRIES:
                        raise CannotVerify(
                            "the claim push failed and did not land: "
                            + (result.result.err.strip().splitlines() or ["no output"])[-1],
                            fix="retry the same `git claim` command",
                        )
                    continue
            else:
                listing = self.store.fetch_listing(wrote=claims)  # the read after my write
            verdict = self._verify(claims, listing, requests, deadline, started)
            if verdict is None:
                return ClaimOutcome(
                    held=claims,
                    taken_from=previous,
                    attempts=attempts,
                    waited=self.clock() - started,
                )
            listing, fresh = verdict, True

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
        """The claim commits to write, and the expired claims they replace; or _Blocked."""
        claims: list[Claim] = []
        previous: list[Claim] = []
        blocked: list[Claim] = []
        for req in requests:
            ref = refnames.claim_ref(req.path.key, req.mode, self.me.agent, self.me.session)
            existing = listing.by_ref.get(ref)
            claim_id = os.urandom(6).hex()
            if isinstance(existing, InvalidRef):
                if existing.newer_format:
                    raise CannotVerify(
                        f"{ref} holds a claim on {req.path} from a newer gitcoord: "
                        f"{existing.problem}",
                        fix="upgrade gitcoord: pip install -U gitcoord",
                    )
            elif isinstance(existing, Claim):
                if self._mine(existing):
                    claim_id = existing.id
                elif existing.is_expired(at, self.skew):
                    previous.append(existing)
                else:
                    blocked.append(existing)
            claims.append(
                Claim(
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
                    nonce=new_nonce(),
                    ref=ref,
                )
            )
        if blocked:
            raise _Blocked(blocked, same_ref=True)
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
    ) -> Listing | None:
        """None when I hold every claim; else a fresh listing to retry from (after retracting).

        Raises Refused when there is no time left to wait.
        """
        my_priority = (claims[0].priority_at, self.me.agent, self.me.session)
        contend_until = self.clock() + self.contend
        if deadline is not None:
            contend_until = max(contend_until, deadline)
        while True:
            at = self.clock()
            if not all(self._holds(listing, c) for c in claims):
                # Taken from under me (only possible through an expiry): start again.
                self._retract(claims, listing)
                return self.store.fetch_listing()
            conflicts = self._conflicts(claims, listing, at)
            if not conflicts:
                return None
            older = [c for c in conflicts if (c.priority_at, c.agent, c.session) < my_priority]
            if older or at >= contend_until:
                break
            # Wait-die: I am the oldest contender; younger ones will retract.
            self.sleep(_jitter(0.05, 0.2))
            listing = self.store.fetch_listing()
        self._retract(claims, listing)
        fresh = self.store.fetch_listing()
        return self._wait_or_refuse(conflicts, requests, deadline, started, fresh)

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
            raise self._refusal(holders, requests, at, waited=deadline is not None)
        shown = ""
        backoff = _jitter(0.05, 0.3)
        while True:
            line = "waiting: " + "; ".join(describe(h, at) for h in holders[:3])
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
                raise self._refusal(holders, requests, at, waited=True)

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

    def _refusal(
        self, holders: list[Claim], requests: Sequence[Request], at: float, *, waited: bool
    ) -> Refused:
        seen: dict[str, Claim] = {c.ref: c for c in holders}
        lines = [describe(c, at) for c in seen.values()]
        paths = " ".join(_quote(r.path) for r in requests)
        first = next(iter(seen.values()))
        head = "gave up waiting: " if waited else "refused: "
        message = head + lines[0]
        if len(lines) > 1:
            message += "".join(f"\n  also: {ln}" for ln in lines[1:])
        fix = (
            f"wait for it: `git claim --wait {paths}`; ask {first.agent} to release "
            f"(`git claim -d {_quote(first.path)}`); or break it: "
            f"`git claim --break {_quote(first.path)} -r REASON`"
        )
        return Refused(message, fix=fix)

    def _retract(self, claims: Sequence[Claim], listing: Listing) -> None:
        """Delete my just-written refs, each leased on my OID, with a 'retract' log entry."""
        for _ in range(MAX_TRANSPORT_RETRIES + 2):
            mine = [c for c in claims if self._holds(listing, c)]
            if not mine:
                return
            at = self.clock()
            updates = [RefUpdate(c.ref, None, c.oid) for c in mine]
            updates.append(
                self._log_update(listing, entry_message("retract", self.me, mine, at=at))
            )
            result = self._push_checked(updates)
            if result.landed:
                return
            listing = self.store.fetch_listing()
        raise CannotVerify(
            "could not retract a conflicting claim; it will expire at its TTL",
            fix="run `git claim -d --all` to release your claims",
        )

    # -- renew, release, break ---------------------------------------------------------------

    def _taken(self, known: Sequence[Claim], listing: Listing) -> list[Claim]:
        """Claims I held when last seen that another agent now holds on the same path."""
        mine_now = {c.ref for c in listing.claims if self._mine(c)}
        return [
            c
            for c in known
            if c.ref not in mine_now
            and any(o.path.key == c.path.key and not self._mine(o) for o in listing.claims)
        ]

    def _lost(self, path: ClaimPath, listing: Listing, at: float, done: int = 0) -> Refused:
        others = [c for c in listing.claims if c.path.key == path.key and not self._mine(c)]
        if others:
            now_held = "; ".join(describe(c, at) for c in others)
            also = f" (your other {done} claim(s) were updated)" if done else ""
            return Refused(
                f"your claim on {path} was lost: {now_held}{also}",
                fix=f"see `gitcoord log {_quote(path)}`; claim it again when free: "
                f"`git claim --wait {_quote(path)}`",
            )
        return Refused(
            f"you hold no claim on {path} (it expired and was taken, was broken, or never existed)",
            fix=f"see `gitcoord log {_quote(path)}`; `git claim` lists live claims",
        )

    def _select_mine(
        self, paths: Sequence[ClaimPath] | None, listing: Listing, at: float
    ) -> list[Claim]:
        mine = [c for c in listing.claims if self._mine(c)]
        if paths is None:
            return mine
        chosen: list[Claim] = []
        for p in dict.fromkeys(paths):
            found = [c for c in mine if c.path.key == p.key]
            if not found:
                raise self._lost(p, listing, at)
            chosen.extend(found)
        return chosen

    def _update_mine(
        self,
        paths: Sequence[ClaimPath] | None,
        build: Callable[[list[Claim], Listing, float], tuple[list[RefUpdate], list[Claim]]],
    ) -> list[Claim]:
        # "All of mine" must not silently shrink: remember what the mirror last saw as mine.
        known = [c for c in self.store.read_listing().claims if self._mine(c)] if not paths else []
        for _ in range(MAX_TRANSPORT_RETRIES + 2):
            listing = self.store.fetch_listing()
            at = self.clock()
            targets = self._select_mine(paths, listing, at)
            taken = self._taken(known, listing)
            if not targets:
                if taken:
                    raise self._lost(taken[0].path, listing, at)
                return []
            updates, done = build(targets, listing, at)
            result = self._push_checked(updates)
            if result.landed:
                if taken:
                    raise self._lost(taken[0].path, listing, at, done=len(done))
                return done
            if not result.answered:
                check = self.store.fetch_listing()
                if all(
                    (u.new is None and u.ref not in check.by_ref)
                    or (u.new is not None and getattr(check.by_ref.get(u.ref), "oid", "") == u.new)
                    for u in updates
                    if u.ref != self.store.my_log_ref
                ):
                    return done
        said = "; ".join(s.summary for s in result.culprits()) or result.result.err.strip()
        raise CannotVerify(
            f"the remote kept rejecting this update: {said[-300:]}",
            fix="retry the command; if it persists, ask the server's admin to check its logs "
            "(a crashed git process can leave a stale .lock file in the repository)",
        )

    def renew(self, paths: Sequence[ClaimPath] | None, ttl: int | None = None) -> list[Claim]:
        lapsed: set[str] = set()

        def build(
            targets: list[Claim], listing: Listing, at: float
        ) -> tuple[list[RefUpdate], list[Claim]]:
            lapsed.update(c.ref for c in targets if at > c.expires_at)
            fresh = [c.renewed(at, ttl) for c in targets]
            oids = self.store.write_claim_commits(fresh)
            fresh = [c._replace(oid=o) for c, o in zip(fresh, oids, strict=True)]
            updates = [
                RefUpdate(c.ref, c.oid, old.oid) for c, old in zip(fresh, targets, strict=True)
            ]
            updates.append(self._log_update(listing, entry_message("renew", self.me, fresh, at=at)))
            return updates, fresh

        done = self._update_mine(paths, build)
        revived = [c for c in done if c.ref in lapsed]
        if revived:
            # A lapsed claim may have been superseded by an overlapping one meanwhile:
            # renewing it is a new write, so it needs the same read-after-write check.
            listing = self.store.fetch_listing()
            at = self.clock()
            conflicts = self._conflicts(revived, listing, at)
            if conflicts:
                lost = [c for c in revived if any(c.conflicts_with(o) for o in conflicts)]
                self._retract(lost, listing)
                raise Refused(
                    f"your claim on {lost[0].path} had expired and was superseded: "
                    + "; ".join(describe(o, at) for o in conflicts[:3]),
                    fix=f"see `gitcoord log {_quote(lost[0].path)}`; claim it again when free",
                )
        return done

    def release(self, paths: Sequence[ClaimPath] | None, commit: str | None = None) -> list[Claim]:
        def build(
            targets: list[Claim], listing: Listing, at: float
        ) -> tuple[list[RefUpdate], list[Claim]]:
            updates = [RefUpdate(c.ref, None, c.oid) for c in targets]
            message = entry_message("release", self.me, targets, at=at, commit=commit)
            updates.append(self._log_update(listing, message))
            return updates, targets

        return self._update_mine(paths, build)

    def break_claims(self, path: ClaimPath, reason: str) -> list[Claim]:
        if not self.config.claims.allow_break:
            raise Refused(
                f"breaking claims is not allowed here ([claims] allow_break = false); "
                f"{path} stays claimed",
                fix="ask the holder to release it, or wait for it to expire",
            )
        for _ in range(MAX_TRANSPORT_RETRIES + 2):
            listing = self.store.fetch_listing()
            at = self.clock()
            targets = [c for c in listing.claims if c.path.key == path.key and not self._mine(c)]
            junk = [
                i for i in listing.invalid if i.ref == refnames.WRITE + refnames.path_key(path.key)
            ]
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
            if result.landed:
                return targets
        raise CannotVerify("the remote kept changing while breaking", fix="retry the command")
