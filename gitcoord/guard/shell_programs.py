"""Programs whose files are not a plain list of operands: Codex's `apply_patch` (the files its
patch names), interactive editors (they read and may save what they open), and commands known
to read no file's content (`ls`, `echo`, `mkdir`, ...), which the rule for unknown programs
(each argument naming a file on disk is read: shell_run.py) would otherwise catch.
"""

from __future__ import annotations

import re

from gitcoord.guard.harnesses import apply_patch
from gitcoord.guard.shell_args import Arg, Handler, Sink, parse, short, unknown

MAX_PATCH_FILES = 1000  # files one patch may name (as a harness's apply_patch tool call)
EXPANDING = "$`\\"  # in a patch path read from unexpanded shell text: its value is not known
GOTO = re.compile(r"(:\d+){1,2}$")  # code -g FILE:LINE[:COLUMN]
VIM_NAMES = {"cmd=": "cmd", "servername=": "servername", "remote-send=": "remote-send"}
EMACS_NAMES = {"eval=": "eval", "load=": "l", "funcall=": "f", "chdir=": "chdir", "file=": "F"}
NANO_NAMES = {"tabsize=": "T", "syntax=": "Y", "operatingdir=": "o", "backupdir=": "C"}
CODE_NAMES = {
    f"{name}=": name
    for name in ("user-data-dir", "extensions-dir", "profile", "locale", "category", "log")
}
# Their arguments are names, numbers or text: they never show a file's content.
NON_READERS = (
    *("echo", "printf", "ls", "stat", "du", "df", "mkdir", "rmdir", "chmod", "chown"),
    *("chgrp", "test", "[", "basename", "dirname", "realpath", "readlink", "which", "type"),
    *("true", "false", ":", "pwd", "exit", "return", "export", "unset", "local", "declare"),
    *("readonly", "typeset", "set", "shift", "sleep", "kill", "wait", "trap", "alias"),
    *("unalias", "hash", "umask", "ulimit", "printenv", "date", "uname", "id", "whoami"),
    *("hostname", "read", "let", "seq", "yes", "mktemp", "gitcoord"),
)


def _apply_patch(args: list[Arg], sink: Sink) -> None:
    """Codex's apply_patch takes its patch as its one argument, else on its standard input."""
    body = args[0] if args else sink.stdin
    if body is None:
        sink.note("apply_patch: the patch on its standard input")
        return
    # Text that is not known (a here-document that expands, `"$(cat <<'EOF' ...)"`) is read
    # as written: the file headers are plain lines in it.
    text = body.text if body.text is not None else body.source
    try:
        targets = apply_patch.parse(text, MAX_PATCH_FILES)
    except apply_patch.PatchError as exc:
        sink.note(f"apply_patch {short(body.source)}: the patch {exc}")
        return
    exact = body.text is not None
    for path in targets.paths():
        sink.write(_patch_path(path, exact))
    for path in targets.removed():
        sink.delete(_patch_path(path, exact))


def _patch_path(path: str, exact: bool) -> Arg:
    return Arg(path, path) if exact or not any(c in path for c in EXPANDING) else unknown(path)


def _editor(
    valued: str,
    names: dict[str, str] | None = None,
    scripts: str = "",
    read_only: str = "",
) -> Handler:
    """An editor: its files are read and may be saved (a directory is only browsed); `scripts`:
    options whose value is a file it reads; `read_only`: flags that open the files read-only
    ("*": always)."""

    def handler(args: list[Arg], sink: Sink) -> None:
        opts = parse(args, valued, names)
        for letter in scripts:
            for script in opts.values.get(letter, []):
                sink.read(script)
        viewing = read_only == "*" or bool(opts.flags & set(read_only))
        goto = opts.flags & {"g", "goto"}
        for file in opts.operands:
            if (file.text or "").startswith("+"):
                continue  # +LINE, +COMMAND
            if goto and file.text is not None:
                file = Arg(GOTO.sub("", file.text), file.source)
            sink.read(file)
            if not viewing and not sink.is_dir(file):
                sink.write(file)

    return handler


def _nothing(args: list[Arg], sink: Sink) -> None:
    return


VIM = _editor("cSuUiTtqswW", VIM_NAMES, scripts="Suqs", read_only="R")
PROGRAMS: dict[str, Handler] = {
    "apply_patch": _apply_patch,
    "applypatch": _apply_patch,
    "vi": VIM,
    "vim": VIM,
    "nvim": VIM,
    "view": _editor("cSuUiTtqswW", VIM_NAMES, scripts="Suqs", read_only="*"),
    "nano": _editor("TYoCrQX", NANO_NAMES, read_only="v"),
    "emacs": _editor("lfLtd", EMACS_NAMES, scripts="l"),
    "ed": _editor("p"),
    "code": _editor("", CODE_NAMES),
    **dict.fromkeys(NON_READERS, _nothing),
}
