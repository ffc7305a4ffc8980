"""Approvals published on the coordination remote, so that CI can see them.

`gitcoord approve` records an approval locally (for the hooks) and publishes it as

    refs/claims-approvals/<patch-id>.<approver key>   a parentless commit, the empty tree

whose message is one summary line and a JSON body (core/approvals.py, the one format):

    gitcoord approval <patch-id>

    {"approver": "...", "at": "<iso>", "format": 1, "patch_id": "...", "paths": [...]}

The ref is created with an atomic leased push that expects it absent (like a claim), so an
approval is never overwritten; approving the same change again finds it already there. Each
approver has a ref of their own (the key: the first 16 hex digits of the SHA-256 of their
lower-cased identity): an approval that cannot count (the committer's own) never stands in
the way of another human's. Refs named by the patch-id alone (gitcoord 0.3 and before) are
still read.
`gitcoord ci` fetches the prefix into the local mirror and reads every approval in one
`git cat-file --batch`.
"""

from __future__ import annotations

from hashlib import sha256

from gitcoord.core import refnames
from gitcoord.core.approvals import MAX_BYTES, Approval, parse_approval_message
from gitcoord.git.fetching import fetch
from gitcoord.git.objects import commit_message, list_refs, read_objects, write_commits
from gitcoord.git.transport import RefUpdate, unreachable
from gitcoord.store.claimstore import ClaimStore

PREFIX = "refs/claims-approvals/"


def approval_ref(patch_id: str, approver: str) -> str:
    return _legacy_ref(patch_id) + "." + sha256(approver.lower().encode()).hexdigest()[:16]


def _legacy_ref(patch_id: str) -> str:
    # A fallback id "diff-sha256:<hex>" has a colon, which a ref name may not contain.
    return PREFIX + patch_id.replace(":", "-")


def publish(store: ClaimStore, approval: Approval) -> bool:
    """Push the approval's ref; False when the remote already has this approver's approval
    of this change.
    Raises CannotVerify when the remote cannot be reached."""
    config = store.repo.git_config
    oid = write_commits(
        store.repo.common_dir,
        [approval.message()],
        object_format=config.get("extensions.objectformat", "sha1"),
        shared=config.get("core.sharedrepository"),  # like every object gitcoord writes
    )[0]
    ref = approval_ref(approval.patch_id, approval.approver)
    result = store.push([RefUpdate(ref, oid, None)])
    if result.landed:
        return True
    if not result.answered:
        raise unreachable(result.result, store.remote)
    return False


def _mirror(store: ClaimStore) -> str:
    return refnames.mirror_prefix(store.remote_key) + PREFIX[len("refs/") :]


def fetch_approvals(store: ClaimStore) -> list[Approval]:
    """Every approval on the remote (a fresh fetch). Refs that do not hold a readable
    approval of the patch-id they are named after are ignored: they approve nothing."""
    refspec = f"+{PREFIX}*:{_mirror(store)}*"
    fetch(store.cwd, store.remote, [refspec], timeout=store.config.remote.timeout)
    entries = [
        e
        for e in list_refs(store.cwd, _mirror(store))
        if e.type == "commit" and e.size <= MAX_BYTES
    ]
    raw = read_objects(store.cwd, (e.oid for e in entries))
    out = []
    for e in entries:
        approval = parse_approval_message(commit_message(raw.get(e.oid, b"")))
        remote_ref = PREFIX + e.ref[len(_mirror(store)) :]
        if approval is not None and remote_ref in _names(approval):
            out.append(approval)
    return out


def _names(approval: Approval) -> tuple[str, str]:
    """The refs `approval` may sit at: its approver's, or (gitcoord 0.3) its patch-id's."""
    return approval_ref(approval.patch_id, approval.approver), _legacy_ref(approval.patch_id)
