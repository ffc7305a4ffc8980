"""What gitcoord needs of git and of the repository: the oldest git whose flags it uses, and
SHA-1 object names.

The git version is asked once per git binary: the verdict is kept in the clone's state dir,
keyed by the binary's path, size and modification time, so a command or hook that finds it
there starts no extra git process (a PATH walk and two stats).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from gitcoord.core.atomicfile import write_atomic
from gitcoord.core.errors import CannotVerify, UsageError
from gitcoord.git.process import run_git

# The newest git feature each need comes from (git's release notes); the oldest usable git
# is the newest of them.
FEATURES: dict[tuple[int, int], str] = {
    (2, 29): "fetch --no-write-fetch-head and --no-auto-maintenance",
    (2, 28): "the reference-transaction hook (gitcoord server install)",
    (2, 23): "fetch --no-show-forced-updates",
    (2, 22): "log formats %(trailers:key=...,valueonly,separator=...)",
    (2, 18): "protocol v2 prefix fetches",
    (2, 4): "push --atomic",
}
MIN_GIT: tuple[int, int] = max(FEATURES)
VERDICT_FILE = "git-version"  # in the state dir: the key of the git binary found good

_VERSION = r"git version (\d+)\.(\d+)"  # "2.39.5", "2.30.1 (Apple Git-130)", "2.45.GIT"


def require_git(state_dir: Path) -> None:
    """Raise CannotVerify (exit 3) when the git on PATH is older than MIN_GIT."""
    git = _on_path("git")
    if git is None:
        return  # run_git says that git is missing, at its first use
    try:
        st = os.stat(git)
    except OSError:
        return
    key = f"{git}\0{st.st_size}\0{st.st_mtime_ns}"
    verdict = state_dir / VERDICT_FILE
    try:
        known = verdict.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        known = []  # none yet, or unreadable: ask git
    if key in known:
        return
    outdated = outdated_git(git)
    if outdated is not None:
        raise outdated
    # Only gits found good are remembered; a few of them, as a hook finds git's own copy in
    # its exec-path (/usr/lib/git-core/git) and a terminal the one in /usr/bin.
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(verdict, "".join(k + "\n" for k in [*known[-3:], key]).encode("utf-8"))
    except OSError:
        pass  # a read-only git dir: asked again next time, which is all it costs


def outdated_git(path: str | None = None) -> CannotVerify | None:
    """The error to report when the git on PATH is older than MIN_GIT; None when it is
    recent enough, or says a version this cannot read (a build of its own)."""
    said = run_git(["version"], check=False).out.strip()
    found = re.match(_VERSION, said)
    if found is None or (int(found.group(1)), int(found.group(2))) >= MIN_GIT:
        return None
    need = ".".join(map(str, MIN_GIT))
    where = path or _on_path("git") or "git"
    return CannotVerify(
        f"gitcoord needs git >= {need}; this is git {said.removeprefix('git version ')} "
        f"({where}), which lacks {FEATURES[MIN_GIT]}",
        fix=f"install git {need} or newer and put it first on PATH (`git --version` shows it)",
    )


def require_sha1(git_config: Mapping[str, str]) -> None:
    """Raise UsageError (exit 2) for a repository whose objects are named by SHA-256: claim
    and log commits are written with the SHA-1 names gitcoord computes for them."""
    object_format = git_config.get("extensions.objectformat", "sha1").lower()
    if object_format != "sha1":
        raise UsageError(
            "SHA-256 repositories are not supported yet: this repository names its objects "
            f"by {object_format} (extensions.objectFormat), and gitcoord writes its claims "
            "as SHA-1 commits",
            fix="use gitcoord in repositories made with git's default object format (SHA-1); "
            "here, `gitcoord hooks uninstall` removes its hooks",
        )


def _on_path(name: str) -> str | None:
    """The file `name` that running it finds on PATH (shutil.which costs an import of
    shutil, bz2 and lzma at every start)."""
    for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(folder or ".", name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None
