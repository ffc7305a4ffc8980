"""The exit-code table and the error taxonomy: the one place that maps failures to exit codes.

Every adapter (the `gitcoord` and `git claim` entries, the typer app, the hook entry) asks
`exit_code_for` and `message_for` what to exit with and print; the table is README's
"Exit codes".
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    REFUSED = 1  # a conflict or a rule said no
    USAGE = 2  # usage error or bad input
    CANNOT_VERIFY = 3  # remote unreachable, authentication, server lacks a capability
    INTERNAL = 4  # unexpected internal error (details logged)
    NOT_IN_SYNC = 75  # `gitcoord sync-check` only (EX_TEMPFAIL): pull or push, then retry
    INTERRUPTED = 130  # SIGINT (128 + 2)
    TERMINATED = 143  # SIGTERM (128 + 15)


# What each code means: `git claim -h`, its man page and README's table say it in these
# words (tests/test_cli_surface.py compares README's table).
EXIT_MEANINGS = {
    ExitCode.OK: "done",
    ExitCode.REFUSED: "refused: a conflict or a rule; the message names the holder or rule "
    "and the command that fixes it",
    ExitCode.USAGE: "usage or bad input (bad option, path or duration, bad gitcoord.toml, "
    "a SHA-256 repository)",
    ExitCode.CANNOT_VERIFY: "cannot verify: remote unreachable or silent past [remote] "
    "timeout, authentication failed, the server lacks atomic push, or git is older than 2.29",
    ExitCode.INTERNAL: "unexpected internal error; the message says where the details were logged",
    ExitCode.NOT_IN_SYNC: "not in sync (gitcoord sync-check only): HEAD lacks the base tip, "
    "has unpushed commits or a dirty working tree, so the command did not run",
    ExitCode.INTERRUPTED: "interrupted (SIGINT); what the command pushed and had not verified "
    "is taken back first",
    ExitCode.TERMINATED: "terminated (SIGTERM, or SIGHUP: the terminal closed); the same",
}


class GitcoordError(Exception):
    """Base of every error the CLI reports without a traceback.

    `fix` is the command (or sentence) that resolves it; the CLI prints it last.
    """

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def render(self) -> str:
        text = f"gitcoord: {self.message}"
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return text


class Refused(GitcoordError):
    """A conflict or a rule refused the operation."""

    exit_code = ExitCode.REFUSED


class NotInSync(GitcoordError):
    """`gitcoord sync-check`: the checkout is not what the remote has. `reasons` are
    (what, fix) pairs in the order to fix them; `message` and `fix` join them."""

    exit_code = ExitCode.NOT_IN_SYNC

    def __init__(self, reasons: list[tuple[str, str]], outcome: str) -> None:
        super().__init__(
            "; ".join(what for what, _ in reasons) + f"; {outcome}",
            fix="; then ".join(fix for _, fix in reasons),
        )
        self.reasons = reasons
        self.outcome = outcome

    def render(self) -> str:
        if len(self.reasons) == 1:
            return super().render()
        lines = [f"gitcoord: not in sync ({len(self.reasons)} reasons); {self.outcome}:"]
        for what, fix in self.reasons:
            lines += [f"  {what}", f"    fix: {fix}"]
        return "\n".join(lines)


class UsageError(GitcoordError):
    """The command line, a path or a config value is wrong."""

    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    """gitcoord.toml is malformed; the message names the key and line."""


class CannotVerify(GitcoordError):
    """The remote could not be reached or lacks a capability, so nothing can be asserted."""

    exit_code = ExitCode.CANNOT_VERIFY


class NeedsCleanup(CannotVerify):
    """A file left in this clone (by a killed git) blocks git: retrying cannot mend it, so
    loops that retry a failed look (`--wait`, `worker run`) stop on it at once."""


class GitFailed(GitcoordError):
    """A git command failed in a way that is not a refusal or a transport problem."""

    exit_code = ExitCode.INTERNAL


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised as an exception so that what was pushed and not verified is taken
    back before the process exits (143), as for an interrupt (130)."""


def exit_code_for(exc: BaseException) -> ExitCode:
    """The documented exit code for what a command raised: the error's own code, 130 for an
    interrupt (SIGINT), 143 for SIGTERM, 4 for anything unexpected."""
    if isinstance(exc, GitcoordError):
        return exc.exit_code
    if isinstance(exc, Terminated):
        return ExitCode.TERMINATED
    if isinstance(exc, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    return ExitCode.INTERNAL


def message_for(exc: BaseException) -> str | None:
    """The text to print for what a command raised; None for an unexpected error, which the
    adapter reports with where it logged the details."""
    if isinstance(exc, GitcoordError):
        return exc.render()
    if isinstance(exc, KeyboardInterrupt):
        return "gitcoord: terminated" if isinstance(exc, Terminated) else "gitcoord: interrupted"
    return None


def log_crash(exc: BaseException, *, prefix: str, where: str = "", header: str = "") -> str:
    """Write an unexpected error's traceback to a new temporary file; the line to print
    instead of the traceback, which says where the details are."""
    import os
    import tempfile  # only when crashing: tempfile costs a lean start-up ~10 ms
    import traceback

    fd, path = tempfile.mkstemp(prefix=prefix, suffix=".log")
    with os.fdopen(fd, "w") as fh:
        fh.write(header)
        traceback.print_exception(exc, file=fh)
    return f"gitcoord: internal error{where}: {exc!r}\n  details: {path}"
