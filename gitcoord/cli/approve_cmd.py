"""`gitcoord approve`: a human approves the staged change to approve-tier guarded paths.

The approval is bound to `git patch-id --stable` of the staged diff of those paths, so a
different change needs a new approval. How a human is told apart from an agent: agents run
with GITCOORD_AGENT set (that is how gitcoord names them), so `approve` refuses when it is
set; the approver is recorded by identity (gitcoord.agent or user.email), and an approval
never counts for a commit by the approver itself. This is a local safeguard against agents
that follow the rules, not a defence against one that edits .git/gitcoord/approvals.json.

The approval is also published as `refs/claims-approvals/<patch-id>.<approver key>` on the
coordination remote (store/approvals.py), where `gitcoord ci` finds it; when the remote
cannot be reached,
`[claims] offline` decides: fail-closed exits 3, fail-open warns (the local record stands).
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from gitcoord.cli.context import Context, emit_json
from gitcoord.core import timeutil
from gitcoord.core.errors import CannotVerify, Refused
from gitcoord.core.paths import tracked_hooks_dir
from gitcoord.git.changes import staged_changes, staged_patch_id, staged_stat
from gitcoord.policy.decisions import Approval, approve_paths
from gitcoord.store import localstate
from gitcoord.store.approvals import approval_ref, publish


def approve_command(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Approve the staged change to guarded paths of tier `approve` (run by a human).

    \b
    Example:
      git add gitcoord.toml && gitcoord approve && git commit -m "Tighten guards"
    """
    _refuse_agents()
    ctx = Context.here()
    top = str(ctx.repo.toplevel)
    extra = tracked_hooks_dir(ctx.repo.toplevel, ctx.repo.git_config.get("core.hookspath"))
    paths = approve_paths(staged_changes(top), ctx.config, extra)
    if not paths:
        if as_json:
            emit_json({"approved": False, "paths": []})
        else:
            print("nothing staged needs approval")
        return
    approval = Approval(
        patch_id=staged_patch_id(top, paths),
        approver=ctx.me.agent,
        paths=tuple(paths),
        at=timeutil.now(),
    )
    localstate.record_approval(ctx.repo.state_dir, approval)
    fresh = _publish(ctx, approval)
    ref = approval_ref(approval.patch_id, approval.approver)
    if as_json:
        emit_json(
            {
                "approved": True,
                "paths": paths,
                "patch_id": approval.patch_id,
                "approver": approval.approver,
                "ref": ref,
                "published": fresh,
            }
        )
        return
    print(staged_stat(top, paths), end="")
    print(
        f"approved as {approval.approver} (patch-id {approval.patch_id[:12]}); "
        "commit it exactly as staged — a different change needs a new approval; it counts "
        "for a commit by anyone but you"
    )
    if fresh is not None:
        print(f"published {ref}" if fresh else f"already published: {ref}")


def _refuse_agents() -> None:
    if os.environ.get("GITCOORD_AGENT"):
        raise Refused(
            f"approvals come from a human, and GITCOORD_AGENT={os.environ['GITCOORD_AGENT']} "
            "says an agent is running this",
            fix="run `gitcoord approve` from your own shell, where GITCOORD_AGENT is not set",
        )


def _publish(ctx: Context, approval: Approval) -> bool | None:
    """Publish the approval: True when new, False when already there, None when the remote
    cannot be reached and `offline = fail-open` (fail-closed raises)."""
    try:
        return publish(ctx.store, approval)
    except CannotVerify as exc:
        unpublished = (
            "approval recorded locally (the hooks accept the commit) but not published, "
            f"so CI will refuse it: {exc.message}"
        )
        if ctx.config.claims.offline == "fail-closed":
            raise CannotVerify(
                unpublished, fix="run `gitcoord approve` again when the remote is reachable"
            ) from None
        print(f"gitcoord: warning: {unpublished} (offline = fail-open)", file=sys.stderr)
        return None
