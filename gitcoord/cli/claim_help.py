"""What `git claim -h` and `man git-claim` say, written once: both are rendered from here
(typer_help for the first, manpage.py for the second), the options from claim_options and
the exit codes from core/errors.py."""

from __future__ import annotations

import textwrap

from gitcoord.core.errors import EXIT_MEANINGS

SUMMARY = "List, claim, release, renew or break claims on paths."

DESCRIPTION = (
    "A claim is a ref on the shared remote, created by an atomic compare-and-swap push: "
    "a refused push is a refused claim. Claims on several paths are all-or-nothing. "
    "A directory claim (trailing slash, or an existing directory) covers its subtree.",
    "A quoted pattern ('src/**/*.py', gitignore-style, relative to the current directory) "
    "holds every path it matches, now and later; it is listed as :(glob)src/**/*.py. An "
    "argument with *, ? or [ that names an existing file claims that file.",
    "--wait takes a duration (90s, 30m, 2h, 1d) as its next argument or after '='; "
    "followed by anything else it waits without limit. A path that looks like a "
    "duration is given as ./10m: git claim --wait ./10m; one that starts with '-' as ./-x.",
    "PATH... -- CMD... holds the claims while CMD runs: they are renewed every third of "
    "their lease and released when CMD exits (recording HEAD if CMD moved it), and git "
    "claim exits with CMD's status. CMD reads no standard input; SIGINT or SIGTERM is "
    "passed on to it. A claim lost meanwhile (broken, or taken after a late renewal) "
    "stops CMD (SIGTERM, SIGKILL after 10s): exit 1 naming who has it. CMD ends with git "
    "claim, even one killed with SIGKILL.",
    "A waiting claim is published in the queue (`git claim` lists it): waiters go in "
    "--priority order (low, normal, high, critical), then first come first served; a "
    "writer waiting longer than [claims] promote_after holds off new read and intent "
    "claims (refused naming it) until it is granted.",
    "--check PATH... says who would block a claim of the paths (exit 1) or that they are "
    "free (exit 0), with one fetch and no push. -d --commit SHA needs a commit on the "
    "remote (exit 1 with the push that fixes it otherwise).",
    "Claiming (or --check of) a path that the base branch changed after HEAD's merge base "
    "names those commits and the fix (git pull --rebase origin main) on stderr, and in "
    '--json as "stale"; gitcoord.toml [checks] fresh = off, monitor, warn (the default) '
    "or enforce (refused, exit 1, nothing pushed).",
)

# (command, what it does), in the order shown.
EXAMPLES = (
    ("git claim", "list live claims (* marks mine)"),
    ('git claim src/api.py -r "fix auth"', "claim a file for writing"),
    ("git claim -m read docs/", "share a directory for reading"),
    ("git claim 'src/**/*.py'", "claim every Python file under src/, new ones too"),
    ("git claim --wait 10m src/db.py", "queue until the path is free, at most 10m"),
    ("git claim --wait 1h --priority high src/", "queue ahead of normal-priority waiters"),
    ("git claim src/db.py --ttl 10m -- make migrate", "hold the claim while a command runs"),
    ("git claim --check src/api.py", "who would block a claim (exit 1), without claiming"),
    ("git claim --agent bob --under src/", "list bob's claims in src/"),
    ("git claim -d src/api.py --commit HEAD", "release, recording the commit that landed"),
    ("git claim --renew", "extend all my claims (heartbeat)"),
    ('git claim --break src/x.py -r "holder is gone"', "break another's claim (recorded)"),
)

_WIDTH = 78


def typer_help() -> str:
    """The help text typer shows (`\\b` keeps a block's lines as written)."""
    examples = [f"  {cmd}" + "\n" + f"      {what}" for cmd, what in EXAMPLES]
    codes = []
    for code, meaning in EXIT_MEANINGS.items():
        lines = textwrap.wrap(meaning, _WIDTH - 8)
        codes.append(f"  {int(code):<4}" + "\n      ".join(lines))
    return "\n\n".join(
        [
            SUMMARY,
            *DESCRIPTION,
            "\b\nExamples:\n" + "\n".join(examples),
            "\b\nExit codes:\n" + "\n".join(codes),
        ]
    )
