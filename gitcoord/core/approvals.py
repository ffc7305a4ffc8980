"""The approval record and its one stored format.

A human's approval of a staged change to approve-tier paths is bound to that change's
patch-id. It is stored in two places, with the same fields:

- locally, as an item of `approvals.json` (store/localstate.py), for the hooks:
      {"approver": "...", "at": "<iso>", "patch_id": "...", "paths": [...]}
- on the coordination remote (store/approvals.py), for CI, as a commit message: one summary
  line, a blank line, and those fields with "format": 1.

Pure: both stores read and write through the functions here. Hostile content (too large,
nested too deep, a wrong type, any exception) approves nothing.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from gitcoord.core import timeutil
from gitcoord.core.textsafe import loads_bounded

FORMAT = 1
MAX_BYTES = 64 * 1024
MAX_DEPTH = 4  # {"paths": [...]} nests two levels


class Approval(NamedTuple):
    patch_id: str
    approver: str
    paths: tuple[str, ...]
    at: float

    def to_fields(self) -> dict[str, Any]:
        return {
            "patch_id": self.patch_id,
            "approver": self.approver,
            "paths": list(self.paths),
            "at": timeutil.to_iso(self.at),
        }

    def message(self) -> str:
        body = {"format": FORMAT, **self.to_fields()}
        return f"gitcoord approval {self.patch_id}\n\n{json.dumps(body, sort_keys=True)}\n"


def approval_from_fields(data: object) -> Approval | None:
    """The approval these fields describe, or None when they are not a readable one."""
    try:
        if not isinstance(data, dict) or not isinstance(data["paths"], list):
            return None
        return Approval(
            patch_id=str(data["patch_id"]),
            approver=str(data["approver"]),
            paths=tuple(str(p) for p in data["paths"]),
            at=timeutil.from_iso(data["at"]),
        )
    except Exception:  # a damaged item is skipped, never a crash
        return None


def parse_approval_message(message: bytes) -> Approval | None:
    """The approval in a commit message, or None when it is not one this gitcoord reads."""
    if len(message) > MAX_BYTES:
        return None
    _, _, body = message.partition(b"\n\n")
    try:
        data = loads_bounded(body.decode("utf-8"), MAX_DEPTH)
    except Exception:
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    return approval_from_fields(data)
