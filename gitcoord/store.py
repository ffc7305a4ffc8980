"""The claim store: claim refs on the remote, mirrored locally, read into Claim objects.

Speaks only in refs and objects; the claim protocol (protocol.py) decides what to write.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from gitcoord import parsecache, refnames, timeutil
from gitcoord.atomicfile import write_atomic
from gitcoord.claim import MAX_OBJECT_BYTES, Claim, InvalidClaim, parse_claim_message
from gitcoord.config import Config
from gitcoord.errors import UsageError
from gitcoord.gitcmd import run_git
from gitcoord.objects import CommitBatch, commit_message, list_refs, read_objects
from gitcoord.parsecache import Parsed
from gitcoord.repo import Identity, Repo
from gitcoord.snapshot import coordination_remote, snapshot_file
from gitcoord.transport import PushResult, RefUpdate, fetch, push


class InvalidRef(NamedTuple):
    """A ref under refs/claims/ that is not a readable claim: reported, never trusted."""

    ref: str
    oid: str
    problem: str
    newer_format: bool = False


class Listing:
    __slots__ = ("by_ref", "claims", "fetched_at", "invalid", "log_tip", "parsed")

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

    def live(self, at: float, skew: float) -> list[Claim]:
        return [c for c in self.claims if not c.is_expired(at, skew)]

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

    # -- reading -------------------------------------------------------------------------

    def _refspecs(self, all_logs: bool = False) -> list[str]:
        claims = f"+{refnames.CLAIMS}*:{refnames.to_mirror(refnames.CLAIMS, self.remote_key)}*"
        log = self.my_log_ref if not all_logs else refnames.LOG
        return [claims, f"+{log}*:{refnames.to_mirror(log, self.remote_key)}*"]

    def fetch_listing(self, wrote: Sequence[Claim] = ()) -> Listing:
        """A fresh listing: fetch refs/claims/* (and my log tip), then read it.

        `wrote`: claims whose objects this process just wrote (with their OIDs). An OID
        names its content, so where the remote has them they are parsed from the message
        in hand, not read back from git (one `cat-file` and 1,000 reads for 1,000 paths).
        """
        known: dict[str, Parsed] = {}
        mine: dict[str, Parsed] = {}

        def meanwhile() -> None:  # while git fetches: none of it depends on what comes
            known.update(parsecache.load(self.parse_cache_path))
            for c in wrote:
                if c.oid not in known:
                    again = parse_claim_message(c.message(), ref=c.ref, oid=c.oid)
                    mine[c.oid] = parsecache.parsed(again)

        fetch(self.cwd, self.remote, self._refspecs(), meanwhile=meanwhile)
        listing = self.read_listing(known=known, also=mine)
        self._write_snapshot(listing)
        return listing

    def fetch_logs(self) -> None:
        fetch(self.cwd, self.remote, self._refspecs(all_logs=True))

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
        found = list_refs(self.cwd, claims_prefix, log_mirror)
        log_entries = [e for e in found if e.ref == log_mirror]
        entries = [e for e in found if e.ref.startswith(claims_prefix)]
        if only is not None:
            wanted = {refnames.to_mirror(ref, self.remote_key) for ref in only}
            entries = [e for e in entries if e.ref in wanted]
        cache_file = self.parse_cache_path
        if known is None:  # else the caller loaded it (while fetching)
            # A few refs of my own parse faster than the whole cache loads.
            known = parsecache.load(cache_file) if only is None else {}
        also = also or {}
        readable = [
            e.oid
            for e in entries
            if e.type == "commit"
            and e.size <= MAX_OBJECT_BYTES
            and e.oid not in known
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
            hit = known.get(e.oid) or also.get(e.oid) or used.get(e.oid)
            if hit is None:
                try:
                    claim = parse_claim_message(
                        commit_message(raw.get(e.oid, b"")), ref=remote_ref, oid=e.oid
                    )
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
        if only is None and used.keys() != known.keys():
            parsecache.save(cache_file, used)
        return Listing(
            claims=claims,
            invalid=invalid,
            fetched_at=fetched_at if fetched_at is not None else timeutil.now(),
            log_tip=log_entries[0].oid if log_entries else None,
            parsed=used,
        )

    @property
    def parse_cache_path(self) -> Path:
        return self.repo.state_dir / f"parsed-{self.remote_key}.marshal"

    # -- writing -------------------------------------------------------------------------

    # Commits are staged (OIDs known at once) and written together right before the push
    # that needs them: one git process per claim instead of one per step.

    def write_claim_commits(self, claims: Sequence[Claim]) -> list[str]:
        return [self._unwritten.add(c.message()) for c in claims]

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
        claims = ",".join(listing.encoded(c).compact for c in listing.claims)
        invalid = json.dumps([i._asdict() for i in listing.invalid], separators=compact)
        text = (
            f'{json.dumps(head, separators=compact)[:-1]},"claims":[{claims}],"invalid":{invalid}}}'
        )
        self.repo.state_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(self.snapshot_path, text.encode("utf-8"))
