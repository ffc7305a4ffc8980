"""What `gitcoord hooks install --harness` created, so that uninstall removes only that.

`<git-common-dir>/gitcoord/harness-install.json` maps each file's absolute path to the parts
gitcoord created in it: "" for the file itself, "hooks" and "hooks/EVENT" for a config's keys.
A pre-existing empty file or key is then kept by uninstall. Another clone has no record of
this one's install: there a part counts as gitcoord's when removing gitcoord's entries
empties it.
"""

from __future__ import annotations

import json
from pathlib import Path

from gitcoord.core.atomicfile import write_atomic

RECORD = "harness-install.json"
FILE = ""  # the part that is the file itself


class Record:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / RECORD
        self.parts: dict[str, list[str]] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):  # none yet, or damaged: nothing recorded
            return
        if isinstance(data, dict):
            self.parts = {
                k: [p for p in v if isinstance(p, str)]
                for k, v in data.items()
                if isinstance(k, str) and isinstance(v, list)
            }

    def created(self, file: Path) -> set[str] | None:
        """The parts of `file` gitcoord created; None when this clone has no record of it."""
        parts = self.parts.get(str(file))
        return None if parts is None else set(parts)

    def add(self, file: Path, parts: set[str], fresh: bool) -> None:
        """Record an install into `file`; `fresh`: gitcoord wrote the file anew."""
        known = set() if fresh else set(self.parts.get(str(file), ()))
        self.parts[str(file)] = sorted(known | parts)

    def drop(self, file: Path) -> None:
        self.parts.pop(str(file), None)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, json.dumps(self.parts, indent=1, sort_keys=True).encode())
