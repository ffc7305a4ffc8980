"""Rules that once had two implementations now have one; these tests show the layers agree.

(Issue 11, "one of each": the approval format, the commit's agent, the protected-branch
patterns, the claims covering a path, the claim commit's shape.)
"""

from __future__ import annotations

from pathlib import Path

from gitcoord.core.approvals import Approval, parse_approval_message
from gitcoord.store import localstate


def test_an_approval_reads_back_the_same_from_the_local_file_and_from_the_remote_message(
    tmp_path: Path,
) -> None:
    approval = Approval("p" * 40, "human@example.com", ("gitcoord.toml", "RULES.md"), 1.7e9)
    localstate.record_approval(tmp_path, approval)
    assert localstate.read_approvals(tmp_path) == [approval]
    assert parse_approval_message(approval.message().encode()) == approval
    # A damaged local item and a damaged message approve nothing, alike.
    (tmp_path / localstate.APPROVALS).write_text('[{"patch_id": "x", "paths": "a"}]')
    assert localstate.read_approvals(tmp_path) == []
    assert parse_approval_message(b'x\n\n{"format": 1, "patch_id": "x", "paths": "a"}') is None
