"""The `gitcoord` and `git-claim` console scripts.

Every form of `git claim` (and `gitcoord claim`) that parses (direct.py), `gitcoord task
take|heartbeat|done` and `gitcoord watch` (direct_commands.py), `guard` and `--version`
start without importing typer, click or the other commands: that import alone cost about
as much as a claim's push and fetch on a local remote. Help, usage errors and the other
commands go through the typer app in main.py.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def dispatch(argv: Sequence[str], *, git_claim: bool) -> int:
    args = list(argv)
    if git_claim or args[:1] == ["claim"]:
        from gitcoord.cli.direct import direct_claim_arguments  # inside _run's interrupt handling

        direct = direct_claim_arguments(args if git_claim else args[1:])
        if direct is not None:
            from gitcoord.cli.claim_run import run_claim
            from gitcoord.cli.outcome import exit_code

            return exit_code(lambda: run_claim(**direct), args)
    if not git_claim and args[:1] in (["task"], ["watch"]):
        from gitcoord.cli.direct_commands import direct_arguments, runner

        parsed = direct_arguments(args)
        if parsed is not None:
            from gitcoord.cli.outcome import exit_code

            words, keywords = parsed
            return exit_code(lambda: runner(words)(**keywords), args)
    if not git_claim and args[:1] == ["guard"] and not {"-h", "--help"} & set(args):
        from gitcoord.guard.entry import main as guard_main  # runs on every agent tool call

        return guard_main(args[1:])
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
    except KeyboardInterrupt as exc:  # before outcome.exit_code took over (still importing)
        from gitcoord.core.errors import exit_code_for, message_for

        print(message_for(exc), file=sys.stderr)
        code = int(exit_code_for(exc))
    sys.exit(code)


def main() -> None:
    _run(git_claim=False)


def git_claim_main() -> None:
    _run(git_claim=True)
