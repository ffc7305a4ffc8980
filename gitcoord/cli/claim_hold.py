"""`git claim PATH... -- CMD...`: hold the claims while CMD runs.

The claims are made as any claim (all or nothing, --wait). CMD is started as `gitcoord
worker run` starts its command (user_command.py: in a process group of its own, reading
nothing, and ended with this process even when that is killed with SIGKILL); the claims
are renewed every third of their lease while it runs (leased_run.py, the worker's loop)
and released when it exits, recording HEAD as the landed commit if CMD moved it. The exit
status is CMD's. A claim lost meanwhile (broken, or taken after a renewal came too late)
stops CMD: exit 1 naming who has it. SIGINT is passed on to CMD, SIGTERM (and SIGHUP) as
SIGTERM; CMD is waited for (SIGKILL after the grace), and the claims are released."""

from __future__ import annotations

import contextlib
import signal
import sys

from gitcoord.cli import user_command
from gitcoord.cli.context import Context
from gitcoord.cli.leased_run import GRACE, Lease, run_renewing
from gitcoord.core.claim import Claim
from gitcoord.core.errors import GitcoordError, Refused, Terminated, UsageError
from gitcoord.core.paths import ClaimPath
from gitcoord.core.textsafe import printable
from gitcoord.git.history import resolve_commit
from gitcoord.protocol.coordinator import ClaimOutcome, Coordinator


def can_start(command: list[str]) -> None:
    """A usage error (exit 2) for a CMD that cannot start, before anything is claimed."""
    why = user_command.cannot_start(command)
    if why is not None:
        raise UsageError(f"cannot run the command: {why}", fix="git claim PATH... -- CMD ARGS")


def hold(ctx: Context, outcome: ClaimOutcome, command: list[str]) -> int:
    """Run `command` holding the claims of `outcome`; its exit status."""
    paths = [c.path for c in outcome.held]
    ttl = min(c.ttl for c in outcome.held)
    coordinator = ctx.coordinator()
    cwd = str(ctx.repo.toplevel)
    head = resolve_commit(cwd, "HEAD")
    name = printable(command[0])
    lease = Lease(
        "the claim on " + " ".join(printable(str(p)) for p in paths),
        lambda: _renew(coordinator, paths, ttl),
        min(c.expires_at for c in outcome.held),
        "another may claim its paths now",
        _say,
    )
    proc: user_command.Process | int = 0
    try:
        proc = user_command.start(command, background=True)
        code = proc if isinstance(proc, int) else run_renewing(proc, name, lease, ttl / 3)
    except KeyboardInterrupt as exc:
        _give_up(
            coordinator,
            paths,
            proc,
            signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT,
        )
        raise
    except GitcoordError:
        _give_up(coordinator, paths, proc, signal.SIGTERM)
        raise
    moved = resolve_commit(cwd, "HEAD")
    sha = moved if moved != head else None
    _released(coordinator.release(paths, sha), sha)
    return code


def _renew(coordinator: Coordinator, paths: list[ClaimPath], ttl: int) -> float:
    """Renew the held claims; the earliest end of their new leases."""
    renewed = coordinator.renew(paths, ttl)
    if not renewed:  # report_lost names who has them; this is the case it found no one
        raise Refused("the claims are no longer held")
    return min(c.expires_at for c in renewed)


def _give_up(
    coordinator: Coordinator,
    paths: list[ClaimPath],
    proc: user_command.Process | int,
    signum: int,
) -> None:
    """Stop CMD if it still runs (passing on `signum`), then release what is still mine,
    path by path (a lost one is another's now). A second signal does not cut this short."""
    for ignored in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(ignored, signal.SIG_IGN)
    if not isinstance(proc, int) and user_command.wait(proc, 0) is None:
        user_command.stop(proc, GRACE, signum)
    for path in paths:
        with contextlib.suppress(GitcoordError):  # lost, or the remote gone: its lease ends it
            _released(coordinator.release([path]))


def _released(claims: list[Claim], sha: str | None = None) -> None:
    at = f" at {sha[:12]}" if sha else ""
    for c in claims:
        _say(f"released {c.path} ({c.mode.value}){at}")


def _say(message: str) -> None:
    """git claim's own lines go to stderr while holding: stdout is CMD's."""
    print(printable(message), file=sys.stderr, flush=True)
