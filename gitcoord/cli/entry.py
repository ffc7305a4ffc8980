"""The `gitcoord` and `git-claim` console scripts.

The forms agents run in loops (`git claim PATH...`, `git claim --json`, `-d`, `--renew`;
see direct.py) and `--version` start without importing typer, click or the other
commands: that import alone cost about as much as a claim's push and fetch on a local
remote. Everything else goes through the typer app in main.py, unchanged.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def dispatch(argv: Sequence[str], *, git_claim: bool) -> int:
    from gitcoord.cli.direct import direct_claim_arguments  # inside _run's interrupt handling

    args = list(argv)
    direct = direct_claim_arguments(args if git_claim else args[1:])
    if direct is not None and (git_claim or args[:1] == ["claim"]):
        from gitcoord.cli.claim_run import run_claim
        from gitcoord.cli.outcome import exit_code

        return exit_code(lambda: run_claim(**direct), args)
    if not git_claim and args == ["--version"]:
        from gitcoord import __version__

        print(f"gitcoord {__version__}")
        return 0
    from gitcoord.cli import main

    return main.run(
        main.claim_app if git_claim else main.app, args, "git claim" if git_claim else "gitcoord"
    )


def _run(git_claim: bool) -> None:
    try:
        code = dispatch(sys.argv[1:], git_claim=git_claim)
    except KeyboardInterrupt:  # before outcome.exit_code took over (still importing)
        print("gitcoord: interrupted", file=sys.stderr)
        code = 130
    sys.exit(code)


def main() -> None:
    _run(git_claim=False)


def git_claim_main() -> None:
    _run(git_claim=True)
