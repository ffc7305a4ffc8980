"""The user's program run under a lease that is renewed while it runs: `gitcoord worker run
-- CMD` (a task's lease) and `git claim PATH... -- CMD` (the claims' leases) share this
loop. A renewal refused (the lease is another's now) stops CMD at once; one that cannot
reach the remote is retried until the lease ends, and only then is CMD stopped: work the
lease no longer protects must not go on."""

from __future__ import annotations

import time
from collections.abc import Callable

from gitcoord.cli import user_command
from gitcoord.core import timeutil
from gitcoord.core.errors import CannotVerify, Refused

GRACE = user_command.GRACE  # seconds CMD has to end after SIGTERM before it gets SIGKILL
RETRY_BEAT = 5.0  # seconds before a renewal that could not reach the remote is tried again


class Lease:
    """What is held while CMD runs: `what` names it in messages ("task t1"), `renew`
    extends it and returns its new end (epoch seconds), `ends` is its current end, `after`
    says what follows when it ran out unrenewed, and `say` reports a retried renewal."""

    def __init__(
        self,
        what: str,
        renew: Callable[[], float],
        ends: float,
        after: str,
        say: Callable[[str], None],
    ) -> None:
        self.what = what
        self.renew = renew
        self.ends = ends
        self.after = after
        self.say = say


def run_renewing(proc: user_command.Process, name: str, lease: Lease, every: float) -> int:
    """Wait for CMD (`name`: its printable name), renewing `lease` every `every` seconds;
    CMD's exit status. A renewal refused stops CMD and raises Refused saying what was lost
    and to whom; a lease that ran out while its renewals could not reach the remote stops
    CMD and raises CannotVerify."""
    due = time.monotonic() + every
    while True:
        code = user_command.wait(proc, max(0.0, due - time.monotonic()))
        if code is not None:
            return code
        try:
            lease.ends = lease.renew()
            due = time.monotonic() + every
        except Refused as exc:
            code = user_command.stop(proc, GRACE)
            raise Refused(
                f"lost {lease.what} while {name} ran: {exc.message}; "
                f"stopped {name} (exit status {code})",
                fix=exc.fix,
            ) from None
        except CannotVerify as exc:
            if timeutil.now() >= lease.ends:
                code = user_command.stop(proc, GRACE)
                raise CannotVerify(
                    f"could not renew the lease of {lease.what} before it ended "
                    f"({exc.message}); stopped {name} (exit status {code}): {lease.after}",
                    fix=exc.fix,
                ) from None
            lease.say(f"warning: heartbeat of {lease.what} failed: {exc.message}; retrying")
            due = time.monotonic() + min(every, RETRY_BEAT)
