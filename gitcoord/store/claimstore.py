"""The claim store: claim refs on the remote, mirrored locally, read into Claim objects.

Speaks only in refs and objects; the claim protocol (protocol.py) decides what to write.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from pathlib import Path

from gitcoord.core import refnames, timeutil
from gitcoord.core.claim import (
    MAX_OBJECT_BYTES,
    Claim,
    Holder,
    InvalidClaim,
    parse_claim_commit,
    parse_claim_message,
)
from gitcoord.core.config import Config
from gitcoord.core.identity import Identity
from gitcoord.git.fetching import MIRROR_LOCK, fetch
from gitcoord.git.objects import CommitBatch, RefEntry, delete_refs, list_refs, read_objects
from gitcoord.git.repo import Repo
from gitcoord.git.transport import PushResult, RefUpdate, RemoteTimedOut, push
from gitcoord.store import heldrecord, observed, parsecache, waiters
from gitcoord.store.heldrecord import HeldClaim
from gitcoord.store.listing import InvalidRef, Listing
from gitcoord.store.parsecache import Parsed
from gitcoord.store.snapshot import snapshot_file, write_snapshot


def _wrong_ref(claim: Claim) -> str:
    return f"claim for {claim.path} sits at the wrong ref"


class ClaimStore:
    def __init__(self, repo: Repo, config: Config, me: Identity) -> None:
        self.repo = repo
        self.config = config
        self.me = me
        self.cwd = str(repo.toplevel)
        self.remote, self.remote_key = repo.coordination(config)
        self.mirror = refnames.mirror_prefix(self.remote_key)
        self.silent: RemoteTimedOut | None = None  # how a fetch of this command timed out
        self.my_log_ref = refnames.log_ref(me.agent)
        self._unwritten = CommitBatch()
        self._messages: dict[str, str] = {}  # claim messages this process wrote, by OID
        self._snapshot: Listing | None = None  # the listing the hooks' snapshot was made of

    # -- reading -------------------------------------------------------------------------

    def _refspecs(self, all_logs: bool = False) -> list[str]:
        claims = f"+{refnames.CLAIMS}*:{refnames.to_mirror(refnames.CLAIMS, self.remote_key)}*"
        log = self.my_log_ref if not all_logs else refnames.LOG
        log_spec = f"+{log}*:{refnames.to_mirror(log, self.remote_key)}*"
        return [claims, log_spec, waiters.refspec(self.remote_key)]  # (one fetch: the queue)

    def fetch_listing(
        self, wrote: Sequence[Claim] = (), *, all_logs: bool = False, also: Sequence[str] = ()
    ) -> Listing:
        """A fresh listing: fetch refs/claims/* (and my log tip), then read it.

        `wrote`: claims whose objects this process just wrote (with their OIDs). An OID
        names its content, so where the remote has them they are parsed from the message
        in hand, not read back from git (one `cat-file` and 1,000 reads for 1,000 paths).
        `all_logs` fetches every agent's log, and `also` more refspecs (another store's),
        in the same fetch: a reader of everything (`gitcoord watch`) pays one round trip.
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

        self._fetch([*self._refspecs(all_logs), *also], meanwhile)
        listing = self.read_listing(known=known, also=mine)
        write_snapshot(self.snapshot_path, listing.snapshot_json(self.remote))
        self._snapshot = listing
        return listing

    def cache_written(self, claims: Sequence[Claim]) -> None:
        """Put claims this process wrote and pushed, but will not read back, into the parse
        cache, parsed from the messages in hand (same OID, same content): the next listing
        then reads none of them back (a grant's versions, which no read follows). And into
        the hooks' snapshot, in place of the versions it holds: a snapshot keeping a grant's
        provisional version would let the pre-commit hook count the claim expired after
        its provisional lease."""
        cached = parsecache.load(self.parse_cache_path)
        for c in claims:
            message = self._messages.get(c.oid) or c.message()
            cached[c.oid] = parsecache.parsed(parse_claim_message(message, ref=c.ref, oid=c.oid))
        parsecache.save(self.parse_cache_path, cached)
        pushed = {c.ref: c for c in claims}
        self._resnapshot(lambda listed: [*(pushed.pop(c.ref, c) for c in listed), *pushed.values()])

    def _resnapshot(self, change: Callable[[list[Claim]], list[Claim]]) -> None:
        """Rewrite the hooks' snapshot (when this process made one) with `change`d claims."""
        if self._snapshot is not None:
            listed = self._snapshot
            now = Listing(change(listed.claims), listed.invalid, listed.fetched_at)
            write_snapshot(self.snapshot_path, now.snapshot_json(self.remote))
            self._snapshot = now

    def fetch_logs(self) -> None:
        self._fetch(self._refspecs(all_logs=True))

    def _fetch(self, refspecs: list[str], meanwhile: Callable[[], None] | None = None) -> None:
        # Once a fetch timed out, the command is failing; its clean-up (taking back what it
        # pushed) does not wait for the silent remote again: the provisional lease ends it.
        if self.silent is not None:
            raise self.silent
        try:
            timeout = self.config.remote.timeout  # [remote] timeout
            fetch(self.cwd, self.remote, refspecs, meanwhile, self.mirror_lock, timeout)
        except RemoteTimedOut as exc:
            self.silent = exc
            raise

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
    ) -> Listing:
        """The claims in the local mirror, as last fetched; no network.

        `only` (remote ref names) reads and parses just those claim refs (and the log tip),
        for a caller that needs its own refs and not every claim on the remote.
        `known` is the parse cache as loaded; `also`, claims parsed without reading them
        back (fetch_listing's `wrote`): both are used, and the cache is saved when what the
        listing used differs from what it loaded.
        """
        claims_prefix = self.mirror + "claims/"
        log_mirror = refnames.to_mirror(self.my_log_ref, self.remote_key)
        loaded: dict[str, Parsed] = {} if known is None else known
        seen: dict[str, float] = {}

        def meanwhile() -> None:  # while git reads the refs
            seen.update(observed.load(self.observed_path))
            if known is None and only is None:  # (a few refs of mine parse faster)
                loaded.update(parsecache.load(self.parse_cache_path))

        queue = waiters.mirror_prefix(self.remote_key)
        found = list_refs(self.cwd, claims_prefix, log_mirror, queue, meanwhile=meanwhile)
        log_tip = next((e.oid for e in found if e.ref == log_mirror), None)
        entries = [e for e in found if e.ref.startswith(claims_prefix)]
        if only is not None:
            wanted = {refnames.to_mirror(ref, self.remote_key) for ref in only}
            entries = [e for e in entries if e.ref in wanted]
        claims, invalid, used = self._parse(entries, {**(also or {}), **loaded})
        queued = [e for e in found if e.ref.startswith(queue)] if only is None else []
        waiting, unreadable = waiters.read_waiters(self.cwd, queued, self.remote_key)
        # Keep exactly what this full listing used: new claims in, vanished ones out.
        if only is None and used.keys() != loaded.keys():
            parsecache.save(self.parse_cache_path, used)
        at = fetched_at if fetched_at is not None else timeutil.now()
        listing = Listing(claims, invalid + unreadable, at, log_tip, used, waiting)
        self._observe(listing, seen, full=only is None)
        return listing

    def _parse(
        self, entries: list[RefEntry], cached: dict[str, Parsed]
    ) -> tuple[list[Claim], list[InvalidRef], dict[str, Parsed]]:
        """The claims at `entries` (from `cached` by OID, else read and parsed), the refs
        that hold none, and the parsed claims used, by OID."""
        readable = [
            e.oid
            for e in entries
            if e.type == "commit" and e.size <= MAX_OBJECT_BYTES and e.oid not in cached
        ]
        raw = read_objects(self.cwd, readable)
        claims: list[Claim] = []
        invalid: list[InvalidRef] = []
        used: dict[str, Parsed] = {}
        for e in entries:
            remote_ref = refnames.from_mirror(e.ref, self.remote_key)
            hit = cached.get(e.oid) or used.get(e.oid)
            try:
                if e.type != "commit":
                    raise InvalidClaim(f"points to a {e.type}, not a commit")
                if e.size > MAX_OBJECT_BYTES:
                    raise InvalidClaim(f"object is {e.size} bytes, over the limit")
                if hit is None:
                    claim = parse_claim_commit(raw.get(e.oid, b""), ref=remote_ref, oid=e.oid)
                    at_home = refnames.claim_ref(
                        claim.path.key, claim.mode, claim.agent, claim.session
                    )
                    hit = parsecache.parsed(claim) if at_home == remote_ref else None
                    if hit is None:
                        raise InvalidClaim(_wrong_ref(claim))
                elif hit.claim.ref != remote_ref:  # cached at its own ref: this is a copy
                    raise InvalidClaim(_wrong_ref(hit.claim))
            except InvalidClaim as exc:
                newer = type(exc).__name__ == "UnknownFormat"
                invalid.append(InvalidRef(remote_ref, e.oid, str(exc), newer))
                continue
            used[e.oid] = hit
            claims.append(hit.claim)
        return claims, invalid, used

    def _observe(self, listing: Listing, seen: dict[str, float], *, full: bool) -> None:
        """Note when this clone first saw each listed claim object of another holder
        (Listing.expired; my own claims are never judged expired by me)."""
        me = Holder(self.me.agent, self.me.session)
        oids = [c.oid for c in listing.claims if not me.holds(c)]
        if observed.observe(seen, oids, timeutil.now(), prune=full):
            observed.save(self.observed_path, seen)
        listing.seen = seen

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
        if self.silent is not None:
            raise self.silent
        config = self.repo.git_config
        fmt = config.get("extensions.objectformat", "sha1")
        self._unwritten.write(self.repo.common_dir, fmt, config.get("core.sharedrepository"))
        # Only my log ref: it is in every push, and mirroring many claim refs from a push
        # costs a ref transaction each (2 s for 1,000 here); the fetch does those in one.
        track = self._refspecs()[1:2] if not self.config.remote.url else []
        result = push(self.cwd, self.remote, updates, track, self.config.remote.timeout)
        if result.landed:
            self._forget_deleted(updates)
        return result

    def _forget_deleted(self, updates: Sequence[RefUpdate]) -> None:
        """Drop claim refs my landed push deleted from the local mirror, so a claim I released
        is not mistaken later for one of mine that someone took (protocol: lost claims are
        never silent); one `update-ref --stdin` transaction, best effort: the mirror is a
        cache that every fetch rewrites. And from the hooks' snapshot, so a commit or edit
        retried after a release does not meet the released claim until max_age passes."""
        deleted = {u.ref for u in updates if u.new is None}
        delete_refs(self.cwd, [refnames.to_mirror(ref, self.remote_key) for ref in deleted])
        self._resnapshot(lambda listed: [c for c in listed if c.ref not in deleted])

    # -- the snapshot cache read by hooks --------------------------------------------------

    @property
    def snapshot_path(self) -> Path:
        return snapshot_file(self.repo.state_dir, self.remote_key)
