"""The one wrapper through which gitcoord runs git. Every git process starts here."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from gitcoord.core.errors import GitFailed

# Variables a hook inherits that would point git at another repository or index.
_REPO_LOCATORS = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_PREFIX",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_QUARANTINE_PATH",
)


class GitResult(NamedTuple):
    args: tuple[str, ...]
    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def out(self) -> str:
        return self.stdout.decode("utf-8", "surrogateescape")

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8", "replace")


def git_env(keep_repo_env: bool = False, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    if not keep_repo_env:
        for name in _REPO_LOCATORS:
            env.pop(name, None)
    env.setdefault("GIT_TERMINAL_PROMPT", "0")  # never hang on a password prompt
    env["LC_ALL"] = "C"  # stable messages to parse
    if extra:
        env.update(extra)
    return env


def run_git(
    args: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    check: bool = True,
    input: bytes | None = None,
    keep_repo_env: bool = False,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> GitResult:
    """Run `git ARGS` and capture everything; on failure (when `check`) raise GitFailed."""
    argv = ("git", *args)
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            input=input,
            capture_output=True,
            env=git_env(keep_repo_env, env),
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise GitFailed("git is not installed or not on PATH") from None
    except subprocess.TimeoutExpired:
        raise GitFailed(f"`{shlex.join(argv)}` did not finish within {timeout}s") from None
    result = GitResult(tuple(argv), proc.returncode, proc.stdout, proc.stderr)
    if check and proc.returncode != 0:
        raise GitFailed(describe_failure(result))
    return result


def run_git_while(
    args: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None,
    meanwhile: Callable[[], None] | None,
) -> GitResult:
    """`git ARGS`, with `meanwhile()` run in this process while git works (local work that
    does not depend on git's answer). Never raises for git's exit code: the caller judges
    it. If `meanwhile` raises, git is killed and reaped first."""
    if meanwhile is None:
        return run_git(args, cwd=cwd, check=False)
    argv = ("git", *args)
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=git_env(),
        )
    except FileNotFoundError:
        raise GitFailed("git is not installed or not on PATH") from None
    try:
        meanwhile()
    except BaseException:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
        raise
    out, err = proc.communicate()
    return GitResult(argv, proc.returncode, out, err)


def describe_failure(result: GitResult) -> str:
    """A message that is useful on its own: the command, its exit code and its output."""
    lines = [f"`{shlex.join(result.args)}` exited with {result.returncode}"]
    for label, text in (("stdout", result.out), ("stderr", result.err)):
        text = text.strip()
        if text:
            lines.append(f"{label}:\n" + "\n".join("    " + t for t in text.splitlines()[-20:]))
    return "\n".join(lines)
