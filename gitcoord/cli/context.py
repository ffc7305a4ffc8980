"""What every command needs: the repository, its config, who I am, the store, the protocol."""

from __future__ import annotations

import json
import sys
from functools import cached_property
from typing import Any

from gitcoord.core.claim import Holder
from gitcoord.core.config import Config
from gitcoord.core.errors import CannotVerify, UsageError
from gitcoord.core.identity import Identity, published
from gitcoord.core.paths import ClaimPath, PathCache
from gitcoord.core.pattern_args import typed_claim_path
from gitcoord.core.textsafe import printable
from gitcoord.git.remote_commits import landed_commit
from gitcoord.git.repo import Repo
from gitcoord.protocol.coordinator import Coordinator
from gitcoord.store.claimstore import ClaimStore
from gitcoord.store.listing import Listing
from gitcoord.store.policy_source import Policy, load_policy

NOBODY = Identity(agent="", host="", worktree="", session="")  # a viewer without identity


class Context:
    def __init__(self, repo: Repo) -> None:
        self.repo = repo

    @classmethod
    def here(cls) -> Context:
        return cls(Repo.discover())

    @cached_property
    def policy(self) -> Policy:
        """The committed policy in force (store/policy_source.py): no uncommitted edit of
        gitcoord.toml grants a break, a longer lease or a wider clock skew."""
        return load_policy(self.repo.toplevel)

    @property
    def config(self) -> Config:
        return self.policy.config

    @cached_property
    def me(self) -> Identity:
        """Who I am, as my claims and log entries record me: the one place a claim gets its
        host and working tree, blanked under `[claims] publish_location = false`."""
        return published(self.repo.identity(), self.config.claims.publish_location)

    @cached_property
    def viewer(self) -> Identity | None:
        """Me, or None without an agent identity: a listing shows the claims, none of them
        mine; claiming, renewing and releasing still need `me` (and say how to set it)."""
        try:
            self.repo.agent()
        except UsageError:  # unset (or not one short line): only claiming needs it
            return None
        return self.me

    @property
    def viewer_holder(self) -> Holder | None:
        """The holder whose claims a listing marks as mine, if any."""
        me = self.viewer
        return Holder(me.agent, me.session) if me else None

    @cached_property
    def store(self) -> ClaimStore:
        # Without an identity only reads can follow: every write path asks for `me` first.
        return ClaimStore(self.repo, self.config, self.viewer or NOBODY)

    def coordinator(self, progress: bool = True) -> Coordinator:
        return Coordinator(self.store, self.config, self.me, progress=_stderr if progress else None)

    def listing(self) -> Listing:
        """A fresh listing. Under `[claims] offline = "fail-open"` an unreachable remote gives
        the last fetched listing (the local mirror) with a warning; claiming, renewing and
        releasing never fall back: a claim cannot be made offline."""
        try:
            return self.store.fetch_listing()
        except CannotVerify as exc:
            if self.config.claims.offline != "fail-open":
                raise
            _stderr(
                f"warning: {exc.message}\n"
                f"warning: showing the claims last fetched {self._last_fetched()} "
                '([claims] offline = "fail-open"); they may be stale'
            )
            return self.store.read_listing()

    def _last_fetched(self) -> str:
        try:
            data = json.loads(self.store.snapshot_path.read_text(encoding="utf-8"))
            return f"at {data['fetched_at']}"
        except (OSError, ValueError, KeyError, TypeError):
            return "(never, in this clone)"

    def claim_paths(self, args: list[str]) -> list[ClaimPath]:
        """User paths as claim paths: the one place they are resolved (symlinks, and the
        repository's core.ignorecase / core.precomposeunicode), so every spelling of one
        file gives one key and therefore one claim ref."""
        out = []
        cwd, top = str(self.repo.cwd), str(self.repo.toplevel)
        ignorecase = self.repo.config_flag("core.ignorecase")
        precompose = self.repo.config_flag("core.precomposeunicode")
        cache = PathCache()
        for arg in args:
            out.append(
                typed_claim_path(
                    arg,
                    cwd=cwd,
                    toplevel=top,
                    ignorecase=ignorecase,
                    precompose=precompose,
                    cache=cache,
                    tracked=self.repo.tracks,
                )
            )
        return out

    def landed_commit(self, text: str) -> str:
        """`--commit SHA` of `task done` and `git claim -d`: a commit on a remote
        (git/remote_commits.landed_commit), fetched from [remote] name if need be."""
        remote = self.config.remote
        return landed_commit(str(self.repo.toplevel), text, remote.name, remote.timeout)

    def warn_invalid(self, listing: Listing) -> None:
        for bad in listing.invalid:
            # The problem can quote the object (a path): escaped, as all remote data shown.
            _stderr(printable(f"warning: skipping {bad.ref} ({bad.oid[:12]}): {bad.problem}"))


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def emit_json(data: Any) -> None:
    # One write: json.dump() would write each of its ~70 pieces per claim separately.
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def require(condition: bool, message: str, fix: str | None = None) -> None:
    if not condition:
        raise UsageError(message, fix=fix)
