"""The one place errors become exit codes, shared by the lean entry and the typer app."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence

from gitcoord import __version__
from gitcoord.errors import ExitCode, GitcoordError, Terminated


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


def exit_code(action: Callable[[], object], argv: Sequence[str]) -> int:
    """Run `action`; map what it raises to the documented exit code, never a traceback.
    SIGTERM becomes an exception like SIGINT, so cleanup (retracting what was pushed and
    not verified) runs for both."""
    import signal

    signal.signal(signal.SIGTERM, _terminate)
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
