"""The one place errors become exit codes, shared by the lean entry and the typer app."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence

from gitcoord import __version__
from gitcoord.core.errors import ExitCode, GitcoordError, Terminated

_caught: list[KeyboardInterrupt] = []


def _on_signal(signum: int, frame: object) -> None:
    import signal

    exc = Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()
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

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        result = action()
        return int(result) if isinstance(result, int) else 0
    except GitcoordError as exc:
        print(exc.render(), file=sys.stderr)
        if "--json" in argv:
            # Agents parse stdout: give them the refusal as data too.
            error = {"message": exc.message, "fix": exc.fix, "exit_code": int(exc.exit_code)}
            print(json.dumps({"error": error}, ensure_ascii=False))
        return int(exc.exit_code)
    except KeyboardInterrupt as exc:
        if isinstance(exc, Terminated):
            print("gitcoord: terminated", file=sys.stderr)
            return int(ExitCode.TERMINATED)
        print("gitcoord: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        return 0
    except Exception:
        import tempfile
        import traceback

        fd, path = tempfile.mkstemp(prefix="gitcoord-crash-", suffix=".log")
        with os.fdopen(fd, "w") as fh:
            fh.write(f"gitcoord {__version__} {' '.join(argv)}\n")
            traceback.print_exc(file=fh)
        print(
            f"gitcoord: internal error: {sys.exc_info()[1]!r}\n  details: {path}",
            file=sys.stderr,
        )
        return int(ExitCode.INTERNAL)
