"""One command's run: the `Sink` its handler reports to, which resolves each target against the
working directory in force and records it."""

from __future__ import annotations

import os
from typing import Protocol

from gitcoord.guard.shell_args import Arg, read_existing, short
from gitcoord.guard.shell_commands import COMMANDS


class Found:
    """The targets found so far; dicts are ordered sets (first appearance first)."""

    def __init__(self) -> None:
        self.writes: dict[str, None] = {}
        self.deletes: dict[str, None] = {}
        self.reads: dict[str, None] = {}
        self.notes: dict[str, None] = {}
        self.unparsed = False  # a syntax error, or nesting too deep to follow

    def note(self, what: str) -> None:
        self.notes[what] = None


class Walk(Protocol):
    """What a command needs of the tree walk (shell.py): where to record, `~`, and a way to
    walk shell code given as a string (`bash -c`, `eval`)."""

    found: Found
    home: str | None

    def nested(self, text: str, cwd: str | None) -> str | None: ...


def run_command(
    walk: Walk, name: Arg, argv: list[Arg], cwd: str | None, stdin: Arg | None = None
) -> str | None:
    """Report what `name argv...` writes and reads; the working directory it leaves (cd)."""
    call = Call(walk, cwd, stdin)
    call.run([name, *argv])
    return call.cwd


class Call:
    """The `Sink` (shell_args.py) of one command run in `cwd` (None: not known)."""

    def __init__(self, walk: Walk, cwd: str | None, stdin: Arg | None = None) -> None:
        self.walk, self.cwd, self.stdin = walk, cwd, stdin

    def write(self, arg: Arg) -> None:
        path = self._target(arg, "write")
        if path is not None:
            self.walk.found.writes[path] = None

    def delete(self, arg: Arg) -> None:
        path = self._target(arg, "delete")
        if path is not None:
            self.walk.found.writes[path] = None
            self.walk.found.deletes[path] = None

    def read(self, arg: Arg) -> None:
        if arg.text == "-":
            return  # standard input
        path = self._target(arg, "read")
        if path is not None:
            self.walk.found.reads[path] = None

    def note(self, what: str) -> None:
        self.walk.found.note(what)

    def is_dir(self, arg: Arg) -> bool:
        path = self._path(arg)
        return path is not None and os.path.isdir(path)

    def exists(self, arg: Arg) -> bool:
        path = self._path(arg)
        return path is not None and os.path.lexists(path)

    def home(self) -> Arg:
        return Arg(self.walk.home, "~")

    def top(self) -> Arg:
        directory = self.cwd
        while directory is not None and not os.path.lexists(os.path.join(directory, ".git")):
            parent = os.path.dirname(directory)
            directory = None if parent == directory else parent
        top = directory or self.cwd
        return Arg(top, "(the top of the working tree)")

    def chdir(self, arg: Arg) -> None:
        self.cwd = self._path(arg)

    def run(self, argv: list[Arg], cwd: Arg | None = None) -> None:
        if not argv:
            return
        call = self if cwd is None else Call(self.walk, self._path(cwd), self.stdin)
        name = argv[0].text
        if name is None:
            call.note(f"command {short(argv[0].source)}")
        handler = COMMANDS.get(os.path.basename(name or ""))
        if handler is not None:
            handler(argv[1:], call)
        else:  # a program not known here: it reads its files at the least (a script, too)
            read_existing(argv if "/" in (name or "") else argv[1:], call)

    def script(self, arg: Arg, what: str, same_shell: bool = False) -> None:
        if arg.text is None:
            self.note(f"{what} {short(arg.source)}")
            return
        after = self.walk.nested(arg.text, self.cwd)
        if same_shell:  # eval, source: a cd in it moves this shell
            self.cwd = after

    def _path(self, arg: Arg) -> str | None:
        if not arg.text:
            return None
        if os.path.isabs(arg.text):
            path = arg.text
        elif self.cwd is None:
            return None
        else:
            path = os.path.join(self.cwd, arg.text)
        path = os.path.normpath(path)
        return "/" + path.lstrip("/") if path.startswith("//") else path

    def _target(self, arg: Arg, what: str) -> str | None:
        if arg.text == "":
            return None  # `rm ''`: no file
        path = self._path(arg)
        if path is None:
            unknown_dir = " (in an undetermined directory)" if arg.text is not None else ""
            self.note(f"{what} {short(arg.source)}{unknown_dir}")
            return None
        if path == "/dev" or path.startswith("/dev/"):
            return None  # /dev/null, /dev/stderr, a <(...) pipe: not files of a project
        return path
