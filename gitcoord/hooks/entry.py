"""The git hooks' entry point, kept lean: it imports neither typer nor pygit2, and each hook
imports only its own module.

    gitcoord-hook pre-commit            (the shims run it as `python -S -c ...`)
    gitcoord-hook pre-push REMOTE URL   (ref updates on stdin, see changes.py)
    gitcoord-hook commit-msg FILE
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from gitcoord.core.errors import UsageError, exit_code_for, log_crash, message_for

HOOKS = ("pre-commit", "pre-push", "commit-msg")


def _warn(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def dispatch(argv: Sequence[str]) -> int:
    if not argv or argv[0] not in HOOKS:
        raise UsageError(
            f"usage: gitcoord-hook {{{'|'.join(HOOKS)}}} [ARGS...]",
            fix="gitcoord hooks install   (git then runs this for you)",
        )
    hook, args = argv[0], argv[1:]
    if hook == "commit-msg":
        from gitcoord.hooks.trailers import commit_msg

        return commit_msg(args)
    from gitcoord.hooks import checks as hook_checks

    return hook_checks.pre_commit() if hook == "pre-commit" else hook_checks.pre_push(args)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return dispatch(list(sys.argv[1:] if argv is None else argv))
    except (Exception, KeyboardInterrupt) as exc:
        _warn(message_for(exc) or log_crash(exc, prefix="gitcoord-hook-crash-", where=" in hook"))
        return int(exit_code_for(exc))


def console_main() -> None:
    sys.exit(main())


if __name__ == "__main__":
    console_main()
