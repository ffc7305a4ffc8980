"""`[checks] fresh` for `git claim PATH...` and `git claim --check PATH...`: a claimed path
that the base branch changed after HEAD's merge base is named with those commits and the
fix (`git pull --rebase`). enforce refuses before anything is pushed; warn says so on
standard error after the grant; monitor only records it (the findings log, --json).

The base rides in the claim's own read after its write (store/freshness.py), so the check
costs a claim no round trip, except under enforce (the base is fetched before the push)
or with a separate coordination remote (the base is on the code remote).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from gitcoord.cli.context import Context
from gitcoord.core.config import CHECK_DEFAULTS
from gitcoord.core.errors import CannotVerify, Refused
from gitcoord.core.paths import ClaimPath
from gitcoord.store import freshness as base_store


class Freshness:
    """The check for one command's claimed paths: before_push (enforce), riding (the
    refspec for the command's fetch), then report once the fetch is done."""

    def __init__(self, ctx: Context, paths: Sequence[ClaimPath]) -> None:
        self.ctx = ctx
        self.paths = paths
        self.mode = ctx.config.checks.get("fresh", CHECK_DEFAULTS["fresh"])
        self.base = base_store.base_ref(ctx.config) if self.mode != "off" else None
        self.fetched = False  # the base as the remote has it now is in hand
        self.checked = False  # report ran: a command judges its paths once
        self.refused: Refused | None = None  # enforce's verdict on a stale path

    def before_push(self) -> None:
        """enforce: fetch the base now and refuse a stale claim before pushing anything."""
        if self.base is not None and self.mode == "enforce":
            base_store.fetch_base(self.ctx.repo, self.ctx.config, self.base)
            self.fetched = True
            self.report(claiming=True)
            if self.refused is not None:
                raise self.refused

    def riding(self) -> list[str]:
        """The refspec to bring in the claim's (or --check's) fetch, when it can ride there;
        after that fetch, the base is in hand."""
        if self.base is None or not self.base.rides or self.fetched:
            return []
        self.fetched = True  # (the caller's fetch brings it, or the command fails)
        return [self.base.refspec]

    def report(self, claiming: bool) -> list[dict[str, Any]]:
        """Judge the claimed paths against the fetched base (fetching it first if no fetch
        brought it): enforce sets `refused`; warn prints; every mode records and returns
        the findings for --json. Once per command."""
        if self.base is None or self.checked:
            return []
        self.checked = True
        if not self.fetched and not self._fetch():
            return []
        commits = base_store.ahead(self.ctx.repo, self.base)
        if not commits:
            return []
        from gitcoord.policy import freshness  # only when the base has moved past HEAD

        partial = len(commits) > base_store.MAX_COMMITS
        stale = freshness.stale_paths(self.paths, commits[: base_store.MAX_COMMITS])
        if not stale:
            return []
        base = base_store.describe(self.ctx.repo, self.ctx.config, self.base, partial)
        findings = [freshness.finding(s, self.mode, base) for s in stale]
        from gitcoord.store import localstate

        hook = "claim" if claiming else "claim --check"
        localstate.log_findings(self.ctx.repo.state_dir, hook, self.ctx.me.agent, findings)
        if self.mode == "enforce":
            self.refused = freshness.refusal(stale, base, claiming)
        elif self.mode == "warn":
            for f in findings:
                print(f.render(), file=sys.stderr)
        return [freshness.to_json(s, self.mode, base) for s in stale]

    def _fetch(self) -> bool:
        """The base from a code remote that claims do not live on; whether it came. Only
        enforce fails the command when it cannot be reached: the claim is made already."""
        assert self.base is not None
        try:
            base_store.fetch_base(self.ctx.repo, self.ctx.config, self.base)
        except CannotVerify as exc:
            if self.mode == "enforce":
                raise
            if self.mode == "warn":
                print(f"warning: could not check freshness: {exc.message}", file=sys.stderr)
            return False
        return True
