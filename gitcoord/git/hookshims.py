"""Hook shims: the small shell scripts gitcoord installs into a hooks directory, for the
client hooks (hooks/install.py) and the server hooks (server/install.py) alike.

A shim execs a Python on a gitcoord entry point's `console_main()`. By default that is the
installing interpreter, by absolute path and with -S, with this gitcoord put first on
sys.path: the hook imports only the standard library and gitcoord, and skipping
site-packages' .pth processing saves more time than any other part of a hook's start. A
shim carries a marker line by which gitcoord recognises it as its own.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

from gitcoord.core.atomicfile import write_atomic

# The directory holding the gitcoord package.
ROOT = str(Path(__file__).resolve().parent.parent.parent)


def launcher(
    entry: str, python: str | None = None, *, flags: str = "-S", own_path: bool = True
) -> str:
    """The command a shim execs: `python FLAGS -c CODE` calling `entry`'s console_main().
    Without `own_path` the Python finds gitcoord its own way (site, PYTHONPATH)."""
    call = f"from {entry} import console_main; console_main()"
    code = f"import sys; sys.path.insert(0, {json.dumps(ROOT)}); {call}" if own_path else call
    return f"{shlex.quote(python or sys.executable)} {flags} -c {shlex.quote(code)}"


def is_ours(path: Path, marker: str) -> bool:
    try:
        return marker in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def write_shim(path: Path, text: str) -> str:
    """Install `text` as the executable hook at `path`, atomically: "installed", "updated",
    or "unchanged" when the same executable shim is already there."""
    try:
        before: str | None = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        before = None
    if before == text and os.access(path, os.X_OK):
        return "unchanged"
    write_atomic(path, text.encode("utf-8"), 0o755)
    return "installed" if before is None else "updated"
