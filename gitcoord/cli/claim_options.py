"""The options of `git claim`, declared once.

The typer command (claim_cmd.py: `gitcoord claim`, `git claim -h`, usage errors) and the
fast parser (direct.py: every form `git claim` accepts, without importing typer) are both
built from OPTIONS, so they cannot drift apart. Every value reaches `run_claim` as the
string typed; run_claim converts it (modes, durations) and reports bad values itself.
Imports nothing beyond the standard library: the fast route starts from here.
"""

from __future__ import annotations

import os
import re
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
    ClaimOption("mode", ("--mode", "-m"), "write (default), read or intent.", "MODE"),
    ClaimOption(
        "ttl", ("--ttl",), "Lease length: 90s, 30m, 2h, 1d (default from config).", "DURATION"
    ),
    ClaimOption(
        "reason", ("--reason", "-r"), "Why (shown to others; required by --break).", "TEXT", ""
    ),
    ClaimOption(
        "wait",
        ("--wait",),
        "Queue until free: --wait 10m (or --wait=10m) at most 10m; --wait followed by a "
        "path or nothing waits forever.",
        "[DURATION]",
    ),
    ClaimOption(
        "priority",
        ("--priority",),
        "With --wait: the place in the queue, low, normal (default), high or critical.",
        "LEVEL",
    ),
    ClaimOption("delete", ("--delete", "-d"), "Release my claims."),
    ClaimOption("all_", ("--all",), "With -d or --renew: all of mine."),
    ClaimOption("commit", ("--commit",), "With -d: the commit that landed the work.", "SHA"),
    ClaimOption("renew", ("--renew",), "Extend my claims."),
    ClaimOption("break_", ("--break",), "Break another agent's claim (needs -r)."),
    ClaimOption(
        "check",
        ("--check",),
        "Say who would block a claim of PATH... (exit 1) or that it is free; claims nothing.",
    ),
    ClaimOption("mine", ("--mine",), "Listing: only my agent's claims."),
    ClaimOption("agent", ("--agent",), "Listing: only this agent's claims.", "NAME"),
    ClaimOption("under", ("--under",), "Listing: only claims in DIR (or covering it).", "DIR"),
    ClaimOption("as_json", ("--json",), "Machine-readable output."),
)
PATHS = "paths"  # run_claim's keyword for the positional PATH... (None when there are none)
PATHS_HELP = (
    "Paths to claim or act on (a path starting with '-' as ./-x). After them, -- CMD... "
    "holds the claims while CMD runs."
)
COMMAND = "command"  # run_claim's keyword for the CMD... after `--` (None without `--`)
PATHS_METAVAR = "PATH"

BY_SPELLING = {spelling: option for option in OPTIONS for spelling in option.spellings}


# What a user means as a duration (`3s`, `1h30m`, also the mistyped `3`, `0s`, `3sec`): a
# word starting with a digit. After --wait it is the wait's value, which run_claim checks,
# and never a path to claim, unless a file or directory of that name exists.
_DURATION_LIKE = re.compile(r"[0-9]\S*")


def _wait_value(word: str) -> bool:
    return bool(_DURATION_LIKE.fullmatch(word)) and not os.path.lexists(word)


def split_command(argv: Sequence[str]) -> tuple[list[str], list[str] | None]:
    """`argv` (as normalise_wait gives it) before the `--` that ends the options, and the
    CMD... after it (None without one): `git claim PATH... -- CMD...` holds the claims
    while CMD runs. An option's value is not that `--` (`-r --`)."""
    out: list[str] = []
    rest = list(argv)
    while rest:
        arg = rest.pop(0)
        if arg == "--":
            return out, rest
        out.append(arg)
        if rest and _value_follows(arg):
            out.append(rest.pop(0))
    return out, None


def normalise_wait(argv: Sequence[str]) -> list[str]:
    """`argv` with each `--wait` made explicit, as `--wait=VALUE`: the next argument when it
    looks like a duration and names no existing file (`--wait 3s`, as `--ttl 30m`), else
    `forever` (`--wait src/db.py`
    waits for src/db.py, without limit). `--wait=10m` is left as typed. Option values (`-r
    --wait`) and everything after `--` (the CMD to run) are left alone: a file named 10m
    is waited for as `--wait ./10m`."""
    out: list[str] = []
    rest = list(argv)
    while rest:
        arg = rest.pop(0)
        if arg == "--":
            return [*out, arg, *rest]
        if arg == "--wait":
            value = rest.pop(0) if rest and _wait_value(rest[0]) else WAIT_FOREVER
            arg = f"--wait={value}"
        out.append(arg)
        if rest and _value_follows(arg):
            out.append(rest.pop(0))
    return out


def _value_follows(arg: str) -> bool:
    """Whether the next argument is the value of `arg` (`--ttl`, `-r`, `-dm`), by click's
    rules as direct.py applies them."""
    if arg.startswith("--"):
        option = BY_SPELLING.get(arg)
        return option is not None and option.takes_value
    if not arg.startswith("-") or arg == "-":
        return False
    for at, letter in enumerate(arg[1:], start=2):
        option = BY_SPELLING.get("-" + letter)
        if option is None:
            return False
        if option.takes_value:
            return at == len(arg)
    return False
