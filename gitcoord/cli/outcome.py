"""How the CLI runs a command: SIGINT, SIGTERM and SIGHUP become exceptions, and what the command
raises becomes its exit code and message through core/errors.py, the one map."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence

from gitcoord import __version__
from gitcoord.core.errors import (
    GitcoordError,
    Terminated,
    exit_code_for,
    log_crash,
    message_for,
)

_caught: list[KeyboardInterrupt] = []


def _on_signal(signum: int, frame: object) -> None:
    import signal

    exc = KeyboardInterrupt() if signum == signal.SIGINT else Terminated()
    _caught.append(exc)  # typer swallows both into Exit(130): interrupted() recovers which
    raise exc


def interrupted() -> KeyboardInterrupt | None:
    """The SIGINT or SIGTERM this process received, if any."""
    return _caught[-1] if _caught else None


def exit_code(action: Callable[[], object], argv: Sequence[str]) -> int:
    """Run `action`; map what it raises to the documented exit code, never a traceback.
    SIGTERM becomes an exception like SIGINT, so cleanup (retracting what was pushed and
    not verified) runs for both."""
    import signal

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # HUP: a closed terminal
        signal.signal(signum, _on_signal)
    try:
        result = action()
        return int(result) if isinstance(result, int) else 0
    except BrokenPipeError:
        return 0  # the reader went away (`git claim | head`): what was done is done
    except (Exception, KeyboardInterrupt) as exc:
        report(exc, argv)
        return int(exit_code_for(exc))


def report(exc: BaseException, argv: Sequence[str]) -> None:
    """Print what `exc` means; with --json, a refusal as data on stdout too."""
    header = f"gitcoord {__version__} {' '.join(argv)}\n"
    print(
        message_for(exc) or log_crash(exc, prefix="gitcoord-crash-", header=header), file=sys.stderr
    )
    if isinstance(exc, GitcoordError) and "--json" in argv:
        # Agents parse stdout: give them the refusal as data too.
        error = {"message": exc.message, "fix": exc.fix, "exit_code": int(exc.exit_code)}
        print(json.dumps({"error": error}, ensure_ascii=False))
