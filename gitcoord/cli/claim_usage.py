"""Which options of `git claim` go together: every option either acts in the command's
action or is a usage error (exit 2), none is silently ignored."""

from __future__ import annotations

from gitcoord.cli.context import require
from gitcoord.core.textsafe import printable
from gitcoord.core.waiter import PRIORITIES

MAX_REASON = 2000  # characters: a reason is shown to everyone in listings and the log


def check_options(
    action: str,
    args: list[str],
    mode: str | None,
    ttl: str | None,
    reason: str,
    wait: str | None,
    all_: bool,
    commit: str | None,
) -> None:
    """Every option either acts in `action` or is a usage error: none is silently ignored."""
    claiming = action == "claim"
    require(not all_ or action in ("-d", "--renew"), "--all goes with -d or --renew")
    require(not (all_ and args), "give paths or --all, not both")
    require(commit is None or action == "-d", "--commit goes with -d")
    require(wait is None or claiming, "--wait goes with claiming paths")
    require(mode is None or action in ("claim", "--check"), "--mode goes with claiming paths")
    require(
        ttl is None or action in ("claim", "--renew"),
        "--ttl goes with claiming paths or --renew (a lease: -d and --break have none)",
        "git claim PATH --ttl 2h  or  git claim --renew --ttl 2h",
    )
    require(
        not reason or action not in ("list", "--check"),
        "-r goes with claiming paths, --renew (a new reason), -d (a note for the audit "
        "log) or --break (why); listing and --check take none",
        'git claim PATH -r "why"',
    )
    require(len(reason) <= MAX_REASON, f"--reason is longer than {MAX_REASON} characters")


def check_priority(wait: str | None, priority: str | None) -> None:
    """--priority orders waiters: it goes with --wait, and names one of the classes."""
    example = "git claim --wait 10m --priority high PATH"
    require(priority is None or wait is not None, "--priority goes with --wait", example)
    require(
        priority is None or priority in PRIORITIES,
        f"invalid --priority {printable(priority or '')!r}: expected {', '.join(PRIORITIES)}",
        example,
    )


def check_hold_and_filters(
    action: str,
    as_json: bool,
    mine: bool,
    agent: str | None,
    under: str | None,
    command: list[str] | None,
) -> None:
    """The listing's filters, --check and `-- CMD`: each where it acts, or a usage error."""
    listing = action == "list"
    require(
        listing or not (mine or agent is not None or under is not None),
        "--mine, --agent and --under go with listing (git claim, no paths)",
    )
    require(not (mine and agent is not None), "give --mine or --agent, not both")
    require(action != "--check" or command is None, "--check runs no command")
    if command is None:
        return
    require(
        action == "claim",
        "-- CMD goes after the paths to hold while CMD runs",
        "git claim PATH... -- CMD ARGS  (a path that starts with '-': ./-x)",
    )
    require(bool(command), "nothing to run after --", "git claim PATH... -- CMD ARGS")
    require(not as_json, "--json does not go with -- CMD (standard output is CMD's)")
