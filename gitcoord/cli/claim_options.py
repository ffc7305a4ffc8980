"""The options of `git claim`, declared once.

The typer command (claim_cmd.py: `gitcoord claim`, `git claim -h`, usage errors) and the
fast parser (direct.py: every form `git claim` accepts, without importing typer) are both
built from OPTIONS, so they cannot drift apart. Every value reaches `run_claim` as the
string typed; run_claim converts it (modes, durations) and reports bad values itself.
Imports nothing beyond the standard library: the fast route starts from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

WAIT_FOREVER = "forever"


class ClaimOption(NamedTuple):
    """One option: `name` is run_claim's keyword; `metavar` is set for an option that takes
    a value (a string, default `default`) and None for an on/off flag (default False)."""

    name: str
    spellings: tuple[str, ...]
    help: str
    metavar: str | None = None
    default: str | None = None

    @property
    def takes_value(self) -> bool:
        return self.metavar is not None

    @property
    def initial(self) -> str | bool | None:
        """What run_claim receives when the option is not given."""
        return self.default if self.takes_value else False


# In the order `git claim -h` lists them.
OPTIONS = (
    ClaimOption("mode", ("--mode", "-m"), "write, read or intent.", "MODE", "write"),
    ClaimOption(
        "ttl", ("--ttl",), "Lease length: 90s, 30m, 2h, 1d (default from config).", "DURATION"
    ),
    ClaimOption(
        "reason", ("--reason", "-r"), "Why (shown to others; required by --break).", "TEXT", ""
    ),
    ClaimOption(
        "wait",
        ("--wait",),
        "Queue until free; --wait alone waits forever, --wait=10m at most 10m.",
        "[=DURATION]",
    ),
    ClaimOption("delete", ("--delete", "-d"), "Release my claims."),
    ClaimOption("all_", ("--all",), "With -d or --renew: all of mine."),
    ClaimOption("commit", ("--commit",), "With -d: the commit that landed the work.", "SHA"),
    ClaimOption("renew", ("--renew",), "Extend my claims."),
    ClaimOption("break_", ("--break",), "Break another agent's claim (needs -r)."),
    ClaimOption("as_json", ("--json",), "Machine-readable output."),
)
PATHS = "paths"  # run_claim's keyword for the positional PATH... (None when there are none)
PATHS_HELP = "Paths to claim or act on."
PATHS_METAVAR = "PATH..."

BY_SPELLING = {spelling: option for option in OPTIONS for spelling in option.spellings}


def normalise_wait(argv: Sequence[str]) -> list[str]:
    """`--wait` alone means wait forever; `--wait=10m` waits at most ten minutes (git style:
    an optional value only with `=`, so `--wait src/db.py` waits for src/db.py)."""
    return [f"--wait={WAIT_FOREVER}" if a == "--wait" else a for a in argv]
