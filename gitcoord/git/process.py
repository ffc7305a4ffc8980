"""The one wrapper through which gitcoord runs git. Every git process starts here."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import time
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


class GitTimedOut(GitFailed):
    """A git process ran past its time limit and was stopped, with its children."""

    def __init__(self, argv: Sequence[str], seconds: float) -> None:
        super().__init__(f"`{shlex.join(argv)}` did not finish within {seconds:g}s (timed out)")
        self.seconds = seconds


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
    """Run `git ARGS` and capture everything; on failure (when `check`) raise GitFailed.
    `timeout` (seconds): past it, git and its children are killed and GitTimedOut raised."""
    argv = ("git", *args)
    stdin = subprocess.PIPE if input is not None else None  # None: inherited, as before
    result = _run(argv, cwd, git_env(keep_repo_env, env), stdin, input, None, timeout)
    if check and result.returncode != 0:
        raise GitFailed(describe_failure(result))
    return result


def run_git_while(
    args: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None,
    meanwhile: Callable[[], None] | None,
    timeout: float | None = None,
) -> GitResult:
    """`git ARGS`, with `meanwhile()` run in this process while git works (local work that
    does not depend on git's answer). Never raises for git's exit code: the caller judges
    it. If `meanwhile` raises, git is killed and reaped first. `timeout` as for run_git,
    counted from git's start."""
    argv = ("git", *args)
    return _run(argv, cwd, git_env(), subprocess.DEVNULL, None, meanwhile, timeout)


def _run(
    argv: tuple[str, ...],
    cwd: str | os.PathLike[str] | None,
    env: dict[str, str],
    stdin: int | None,
    input: bytes | None,
    meanwhile: Callable[[], None] | None,
    timeout: float | None,
) -> GitResult:
    # With a time limit git gets a process group of its own, so that a timeout also stops
    # what it started (ssh, a remote helper), which would otherwise hold the pipes open. Not
    # at a terminal: a process outside the foreground group is stopped when it reads the
    # terminal, and ssh reads it to ask for a passphrase or a host key.
    grouped = timeout is not None and not _at_terminal()
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            process_group=0 if grouped else None,
        )
    except FileNotFoundError:
        raise GitFailed("git is not installed or not on PATH") from None
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        if meanwhile is not None:
            meanwhile()
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        out, err = proc.communicate(input, timeout=left)
    except subprocess.TimeoutExpired:
        _stop(proc, grouped=grouped, drain=grouped)
        raise GitTimedOut(argv, timeout or 0.0) from None
    except BaseException:
        _stop(proc, grouped=grouped, drain=True)
        raise
    return GitResult(argv, proc.returncode, out, err)


def _at_terminal() -> bool:
    try:
        return os.isatty(0) and os.tcgetpgrp(0) == os.getpgrp()
    except OSError:
        return False


def _stop(proc: subprocess.Popen[bytes], *, grouped: bool, drain: bool) -> None:
    """Kill git (and, when it leads a group of its own, everything in that group); reap it.
    Without `drain` the pipes are closed unread: a child of git (ssh) may still hold them."""
    if grouped:
        with contextlib.suppress(ProcessLookupError):  # the group is gone already
            os.killpg(proc.pid, signal.SIGKILL)
    elif proc.poll() is None:
        proc.kill()
    if drain:
        proc.communicate()
        return
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
    proc.wait()


def describe_failure(result: GitResult) -> str:
    """A message that is useful on its own: the command, its exit code and its output."""
    lines = [f"`{shlex.join(result.args)}` exited with {result.returncode}"]
    for label, text in (("stdout", result.out), ("stderr", result.err)):
        text = text.strip()
        if text:
            lines.append(f"{label}:\n" + "\n".join("    " + t for t in text.splitlines()[-20:]))
    return "\n".join(lines)
