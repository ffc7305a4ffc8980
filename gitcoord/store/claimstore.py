"""The claim store: claim refs on the remote, mirrored locally, read into Claim objects.

Speaks only in refs and objects; the claim protocol (protocol.py) decides what to write.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from gitcoord.core import refnames, timeutil
from gitcoord.core.atomicfile import write_atomic
from gitcoord.core.claim import (
    MAX_OBJECT_BYTES,
    Claim,
    InvalidClaim,
    parse_claim_commit,
    parse_claim_message,
)
from gitcoord.core.config import Config
from gitcoord.core.errors import UsageError
from gitcoord.git.objects import CommitBatch, list_refs, read_objects
from gitcoord.git.process import run_git
from gitcoord.git.repo import Identity, Repo
from gitcoord.git.transport import MIRROR_LOCK, PushResult, RefUpdate, fetch, push
from gitcoord.store import heldrecord, observed, parsecache
from gitcoord.store.heldrecord import HeldClaim
from gitcoord.store.parsecache import Parsed
from gitcoord.store.snapshot import coordination_remote, snapshot_file


class InvalidRef(NamedTuple):
    """A ref under refs/claims/ that is not a readable claim: reported, never trusted."""

    ref: str
    oid: str
    problem: str
    newer_format: bool = False


class Listing:
    __slots__ = (
        "_by_path",
        "by_ref",
        "claims",
        "fetched_at",
        "invalid",
        "log_tip",
        "parsed",
        "prepared",
        "seen",
        "snapshot_claims",
    )

    def __init__(
        self,
        claims: list[Claim],
        invalid: list[InvalidRef],
        fetched_at: float,
        log_tip: str | None = None,
        parsed: dict[str, Parsed] | None = None,
    ) -> None:
        self.claims = claims
        self.invalid = invalid
        self.fetched_at = fetched_at
        self.log_tip = log_tip
        self.by_ref: dict[str, Claim | InvalidRef] = {c.ref: c for c in claims}
        self.by_ref.update({i.ref: i for i in invalid})
        # Each claim's public JSON, already encoded, by OID (from the parse cache).
        self.parsed = parsed or {}
        self.snapshot_claims: str | None = None  # the snapshot's "claims" text, when known
        self.prepared: str | None = None  # what fetch_listing's `prepare` made of it
        # When this clone first saw each claim object (its own clock), by OID.
        self.seen: dict[str, float] = {}
        self._by_path: list[Claim] | None = None

    def by_path(self) -> list[Claim]:
        """The claims in display order: by path (a directory after the file of its name),
        mode, agent."""
        if self._by_path is None:
            # ClaimPath's own order, through its fields: cheaper than comparing ClaimPaths.
            self._by_path = sorted(
                self.claims, key=lambda c: (c.path.key, c.path.is_dir, c.mode.value, c.agent)
            )
        return self._by_path

    def snapshot_text(self) -> str:
        if self.snapshot_claims is None:
            self.snapshot_claims = ",".join(self.encoded(c).compact for c in self.claims)
        return self.snapshot_claims

    def live(self, at: float, skew: float) -> list[Claim]:
        return [c for c in self.claims if not self.expired(c, at, skew)]

    def takeover_at(self, claim: Claim, skew: float) -> float:
        """When this clone may first treat `claim` as expired (see `expired`)."""
        seen = self.seen.get(claim.oid, self.fetched_at)
        return max(claim.lease_end, seen + claim.lease_seconds) + skew

    def expired(self, claim: Claim, at: float, skew: float) -> bool:
        """Expired both by the holder's account (lease end + skew) and by this clone's own
        observation: it has seen this very object for its lease + skew. So safety needs only
        bounded clock rates, not synchronized clocks (docs/design.md, "Leases")."""
        if not claim.is_expired(at, skew):
            return False
        return at > self.seen.get(claim.oid, at) + claim.lease_seconds + skew

    def encoded(self, claim: Claim) -> Parsed:
        """`claim`'s public JSON, encoded: from the parse cache, else now."""
        hit = self.parsed.get(claim.oid)
        return hit if hit is not None and hit.claim is claim else parsecache.parsed(claim)


def _wrong_ref(claim: Claim) -> str:
    return f"claim for {claim.path} sits at the wrong ref"


class ClaimStore:
    def __init__(self, repo: Repo, config: Config, me: Identity) -> None:
        self.repo = repo
        self.config = config
        self.me = me
        self.cwd = str(repo.toplevel)
        self.remote, self.remote_key = coordination_remote(config)
        if not config.remote.url:  # noqa: SIM102
            if f"remote.{self.remote.lower()}.url" not in repo.git_config:
                raise UsageError(
                    f"no git remote named {self.remote!r} in this repository",
                    fix=f"git remote add {self.remote} URL  (or set [remote] url in gitcoord.toml)",
                )
        self.mirror = refnames.mirror_prefix(self.remote_key)
        self.my_log_ref = refnames.log_ref(me.agent)
        self._unwritten = CommitBatch()
        self._messages: dict[str, str] = {}  # claim messages this process wrote, by OID

    # -- reading -------------------------------------------------------------------------

    def _refspecs(self, all_logs: bool = False) -> list[str]:
        claims = f"+{refnames.CLAIMS}*:{refnames.to_mirror(refnames.CLAIMS, self.remote_key)}*"
        log = self.my_log_ref if not all_logs else refnames.LOG
        return [claims, f"+{log}*:{refnames.to_mirror(log, self.remote_key)}*"]

    def fetch_listing(
        self, wrote: Sequence[Claim] = (), prepare: Callable[[Listing], str] | None = None
    ) -> Listing:
        """A fresh listing: fetch refs/claims/* (and my log tip), then read it.

        `wrote`: claims whose objects this process just wrote (with their OIDs). An OID
        names its content, so where the remote has them they are parsed from the message
        in hand, not read back from git (one `cat-file` and 1,000 reads for 1,000 paths).
        `prepare` (a command's output for a listing) may run on the listing predicted while
        git reads the refs; the result is the returned listing's `prepared` if it was that.
        """
        known: dict[str, Parsed] = {}
        mine: dict[str, Parsed] = {}

        def meanwhile() -> None:  # while git fetches: none of it depends on what comes
            known.update(parsecache.load(self.parse_cache_path))
            for c in wrote:
                if c.oid not in known:
                    message = self._messages.get(c.oid) or c.message()
                    again = parse_claim_message(message, ref=c.ref, oid=c.oid)
                    mine[c.oid] = parsecache.parsed(again)

        fetch(self.cwd, self.remote, self._refspecs(), meanwhile=meanwhile, lock=self.mirror_lock)
        listing = self.read_listing(known=known, also=mine, prepare=prepare)
        self._write_snapshot(listing)
        return listing

    def fate(self, claim_id: str) -> tuple[str, str] | None:
        """What the audit trail last says happened to claim `claim_id` after it was granted:
        (event, agent) of the latest break, takeover, release or retract that names it;
        None when the trail says nothing. Fetches every agent's log: for the rare path
        where a claim went missing."""
        from gitcoord.store.audit import read_log

        self.fetch_logs()
        entries = read_log(self.cwd, refnames.to_mirror(refnames.LOG, self.remote_key))
        for e in reversed(entries):
            if any(p.get("id") == claim_id for p in e.previous):
                return ("break" if e.event == "break" else "take", e.agent)
            if e.event in ("release", "retract") and any(
                c.get("id") == claim_id and c.get("session") == self.me.session for c in e.claims
            ):
                return (e.event, e.agent)
        return None

    def cache_written(self, claims: Sequence[Claim]) -> None:
        """Put claims this process wrote and pushed, but will not read back, into the parse
        cache, parsed from the messages in hand (same OID, same content): the next listing
        then reads none of them back (a grant's versions, which no read follows)."""
        cached = parsecache.load(self.parse_cache_path)
        for c in claims:
            message = self._messages.get(c.oid) or c.message()
            cached[c.oid] = parsecache.parsed(parse_claim_message(message, ref=c.ref, oid=c.oid))
        parsecache.save(self.parse_cache_path, cached)

    def fetch_logs(self) -> None:
        fetch(self.cwd, self.remote, self._refspecs(all_logs=True), lock=self.mirror_lock)

    @property
    def mirror_lock(self) -> Path:
        """The flock that serializes this clone's fetches (every session shares the mirror)."""
        return self.repo.state_dir / MIRROR_LOCK

    def read_listing(
        self,
        fetched_at: float | None = None,
        only: Collection[str] | None = None,
        known: dict[str, Parsed] | None = None,
        also: dict[str, Parsed] | None = None,
        prepare: Callable[[Listing], str] | None = None,
    ) -> Listing:
        """The claims in the local mirror, as last fetched; no network.

        `only` (remote ref names) reads and parses just those claim refs (and the log tip),
        for a caller that needs its own refs and not every claim on the remote.
        `known` is the parse cache as loaded; `also`, claims parsed without reading them
        back (fetch_listing's `wrote`): both are used, and the cache is saved when what the
        listing used differs from what it loaded. `prepare`: as for fetch_listing.
        """
        claims_prefix = self.mirror + "claims/"
        log_mirror = refnames.to_mirror(self.my_log_ref, self.remote_key)
        cache_file = self.parse_cache_path
        loaded: dict[str, Parsed] = {} if known is None else known
        guess: list[tuple[Listing, list[tuple[str, str]]]] = []
        seen: dict[str, float] = {}

        def meanwhile() -> None:  # while git reads the refs
            seen.update(observed.load(self.observed_path))
            if known is None and only is None:  # (a few refs of mine parse faster)
                loaded.update(parsecache.load(cache_file))
            if only is None and not also and loaded:
                guess.append(self._unchanged(loaded, prepare))

        found = list_refs(self.cwd, claims_prefix, log_mirror, meanwhile=meanwhile)
        log_entries = [e for e in found if e.ref == log_mirror]
        entries = [e for e in found if e.ref.startswith(claims_prefix)]
        log_tip = log_entries[0].oid if log_entries else None
        at = fetched_at if fetched_at is not None else timeutil.now()
        if guess and guess[0][1] == [(e.ref, e.oid) for e in entries]:
            listing = guess[0][0]
            listing.fetched_at, listing.log_tip = at, log_tip
            self._observe(listing, seen, full=True)
            return listing
        if only is not None:
            wanted = {refnames.to_mirror(ref, self.remote_key) for ref in only}
            entries = [e for e in entries if e.ref in wanted]
        also = also or {}
        readable = [
            e.oid
            for e in entries
            if e.type == "commit"
            and e.size <= MAX_OBJECT_BYTES
            and e.oid not in loaded
            and e.oid not in also
        ]
        raw = read_objects(self.cwd, readable)
        claims: list[Claim] = []
        invalid: list[InvalidRef] = []
        used: dict[str, Parsed] = {}
        for e in entries:
            remote_ref = refnames.from_mirror(e.ref, self.remote_key)
            if e.type != "commit":
                invalid.append(InvalidRef(remote_ref, e.oid, f"points to a {e.type}, not a commit"))
                continue
            if e.size > MAX_OBJECT_BYTES:
                invalid.append(
                    InvalidRef(remote_ref, e.oid, f"object is {e.size} bytes, over the limit")
                )
                continue
            hit = loaded.get(e.oid) or also.get(e.oid) or used.get(e.oid)
            if hit is None:
                try:
                    claim = parse_claim_commit(raw.get(e.oid, b""), ref=remote_ref, oid=e.oid)
                except InvalidClaim as exc:
                    newer = type(exc).__name__ == "UnknownFormat"
                    invalid.append(InvalidRef(remote_ref, e.oid, str(exc), newer))
                    continue
                expected = refnames.claim_ref(
                    claim.path.key, claim.mode, claim.agent, claim.session
                )
                if expected != remote_ref:
                    invalid.append(InvalidRef(remote_ref, e.oid, _wrong_ref(claim)))
                    continue
                hit = parsecache.parsed(claim)
            elif hit.claim.ref != remote_ref:  # cached at its own ref: this one is a copy
                invalid.append(InvalidRef(remote_ref, e.oid, _wrong_ref(hit.claim)))
                continue
            used[e.oid] = hit
            claims.append(hit.claim)
        # Keep exactly what this full listing used: new claims in, vanished ones out.
        if only is None and used.keys() != loaded.keys():
            parsecache.save(cache_file, used)
        listing = Listing(claims, invalid, fetched_at=at, log_tip=log_tip, parsed=used)
        self._observe(listing, seen, full=only is None)
        return listing

    def _observe(self, listing: Listing, seen: dict[str, float], *, full: bool) -> None:
        """Note when this clone first saw each listed claim object of another holder
        (Listing.expired; my own claims are never judged expired by me)."""
        me = self.me
        oids = [c.oid for c in listing.claims if c.session != me.session or c.agent != me.agent]
        if observed.observe(seen, oids, timeutil.now(), prune=full):
            observed.save(self.observed_path, seen)
        listing.seen = seen

    def _unchanged(
        self, cached: dict[str, Parsed], prepare: Callable[[Listing], str] | None
    ) -> tuple[Listing, list[tuple[str, str]]]:
        """The listing if the mirror holds exactly the cached claims, and the (mirror ref,
        OID) pairs it then lists: the cache keeps the last full listing's claims in its ref
        order. Built, with the snapshot's text and `prepare`'s output, while git reads the
        refs; used only if git then lists exactly those pairs (no more, no invalid ref)."""
        listing = Listing([p.claim for p in cached.values()], [], 0.0, parsed=cached)
        listing.snapshot_text()
        if prepare is not None:
            listing.prepared = prepare(listing)
        key = self.remote_key
        return listing, [(refnames.to_mirror(c.ref, key), c.oid) for c in listing.claims]

    # -- what this session holds (heldrecord.py) -------------------------------------------

    @property
    def held_path(self) -> Path:
        holder = refnames.holder_key(self.me.agent, self.me.session)
        return self.repo.state_dir / "held" / f"{self.remote_key}-{holder}.json"

    def held(self) -> dict[str, HeldClaim]:
        return heldrecord.read(self.held_path)

    def record_held(self, claims: Sequence[Claim]) -> None:
        def change(held: dict[str, HeldClaim]) -> None:
            held.update({c.ref: HeldClaim(c.ref, c.id, str(c.path)) for c in claims})

        heldrecord.update(self.held_path, change)

    def forget_held(self, refs: Collection[str]) -> None:
        def change(held: dict[str, HeldClaim]) -> None:
            for ref in refs:
                held.pop(ref, None)

        if refs:
            heldrecord.update(self.held_path, change)

    @property
    def observed_path(self) -> Path:
        return self.repo.state_dir / f"observed-{self.remote_key}.marshal"

    @property
    def parse_cache_path(self) -> Path:
        return self.repo.state_dir / f"parsed-{self.remote_key}.marshal"

    # -- writing -------------------------------------------------------------------------

    # Commits are staged (OIDs known at once) and written together right before the push
    # that needs them: one git process per claim instead of one per step.

    def write_claim_commits(self, claims: Sequence[Claim]) -> list[str]:
        oids = []
        for c in claims:
            message = c.message()
            oids.append(self._unwritten.add(message))
            self._messages[oids[-1]] = message
        return oids

    def write_log_entry(self, message: str, parent: str | None) -> str:
        return self._unwritten.add(message, parent)

    def push(self, updates: Sequence[RefUpdate]) -> PushResult:
        fmt = self.repo.git_config.get("extensions.objectformat", "sha1")
        self._unwritten.write(self.repo.common_dir, fmt)
        # Only my log ref: it is in every push, and mirroring many claim refs from a push
        # costs a ref transaction each (2 s for 1,000 here); the fetch does those in one.
        track = self._refspecs()[1:] if not self.config.remote.url else []
        result = push(self.cwd, self.remote, updates, track)
        if result.landed:
            self._forget_deleted(updates)
        return result

    def _forget_deleted(self, updates: Sequence[RefUpdate]) -> None:
        """Drop claim refs my landed push deleted from the local mirror, so a claim I released
        is not mistaken later for one of mine that someone took (protocol: lost claims are
        never silent). One `update-ref --stdin` transaction; best effort: the mirror is a
        cache that every fetch rewrites."""
        lines = "".join(
            f"delete {refnames.to_mirror(u.ref, self.remote_key)}\n"
            for u in updates
            if u.new is None
        )
        if lines:
            run_git(["update-ref", "--stdin"], cwd=self.cwd, input=lines.encode(), check=False)

    # -- the snapshot cache read by hooks --------------------------------------------------

    @property
    def snapshot_path(self) -> Path:
        return snapshot_file(self.repo.state_dir, self.remote_key)

    def _write_snapshot(self, listing: Listing) -> None:
        # json.dumps(data, separators=(",", ":")) of the whole snapshot, with each claim's
        # part taken as the parse cache encoded it: byte for byte the same, at a tenth of the cost.
        head: dict[str, Any] = {
            "format": 1,
            "remote": self.remote,
            "fetched_at": timeutil.to_iso(listing.fetched_at),
        }
        compact = (",", ":")
        claims = listing.snapshot_text()
        invalid = json.dumps([i._asdict() for i in listing.invalid], separators=compact)
        text = (
            f'{json.dumps(head, separators=compact)[:-1]},"claims":[{claims}],"invalid":{invalid}}}'
        )
        self.repo.state_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(self.snapshot_path, text.encode("utf-8"))
