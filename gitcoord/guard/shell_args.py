"""The arguments a shell command receives, and what its handler reports about them.

A handler (shell_commands.py, shell_readers.py, shell_git.py, shell_wrappers.py) sees the
argument vector bash would pass (quotes removed, globs expanded) and tells a `Sink` which of
them it writes, deletes or reads; the walker (shell.py) resolves them against the working
directory in force.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import NamedTuple, Protocol


class Arg(NamedTuple):
    text: str | None  # the word as the command receives it; None when it cannot be determined
    source: str  # the word as written, for the description of an undetermined target


def unknown(source: str) -> Arg:
    return Arg(None, source)


def inside(directory: Arg, name: Arg) -> Arg:
    """`name`'s last component inside `directory` (where cp, mv and ln put a source)."""
    source = f"{directory.source.rstrip('/')}/{name.source}"
    if directory.text is None or name.text is None:
        return unknown(source)
    return Arg(os.path.join(directory.text, os.path.basename(name.text.rstrip("/"))), source)


def joined(directory: Arg, path: Arg) -> Arg:
    """`path` relative to `directory` (`git -C a -C b`, `tar -C DIR FILE`); absolute: itself."""
    if directory.text is None or path.text is None:
        return unknown(path.source)
    return Arg(os.path.join(directory.text, path.text), path.source)


class Sink(Protocol):
    """Where a handler reports the targets of one command, run in one working directory."""

    def write(self, arg: Arg) -> None: ...
    def delete(self, arg: Arg) -> None: ...  # also a write
    def read(self, arg: Arg) -> None: ...

    # A here-document or here-string given to the command (None: its input comes from
    # elsewhere: a pipe, a file, the terminal).
    stdin: Arg | None

    def note(self, what: str) -> None: ...  # something undetermined, said in a few words
    def is_dir(self, arg: Arg) -> bool: ...  # an existing directory
    def exists(self, arg: Arg) -> bool: ...
    def home(self) -> Arg: ...
    def top(self) -> Arg: ...  # the git working tree holding the working directory (or it)
    def chdir(self, arg: Arg) -> None: ...  # cd: the rest of the list runs there
    def run(self, argv: list[Arg], cwd: Arg | None = None) -> None: ...  # a wrapped command
    # Shell code given as a string (bash -c, eval); same_shell: a cd in it moves this shell.
    def script(self, arg: Arg, what: str, same_shell: bool = False) -> None: ...


Handler = Callable[[list[Arg], Sink], None]


class Options(NamedTuple):
    operands: list[Arg]
    flags: set[str]  # short letters and long names (through `names`) that were given
    values: dict[str, list[Arg]]  # option -> the values given to it, in order


def parse(
    args: list[Arg],
    valued: str = "",
    names: dict[str, str] | None = None,
    *,
    first_operand_ends: bool = False,
) -> Options:
    """Split getopt-style arguments: `valued` are the short options that take a value (attached
    or the next word); `names` maps long options to their short letter ("" + a trailing "=" in
    the key: the long option takes a value). GNU order: options may follow operands, unless
    `first_operand_ends` (wrappers: the rest is the wrapped command)."""
    names = names or {}
    out = Options([], set(), {})
    i = 0
    while i < len(args):
        text = args[i].text
        i += 1
        if text is None or text == "-" or not text.startswith("-"):
            out.operands.append(args[i - 1])
            if first_operand_ends:
                out.operands.extend(args[i:])
                break
        elif text == "--":
            out.operands.extend(args[i:])
            break
        else:
            i = option(text, args, i, valued, names, out)
    return out


def option(
    text: str, args: list[Arg], i: int, valued: str, names: dict[str, str], out: Options
) -> int:
    """Record option word `text` (`-abc`, `--name[=value]`), whose value may be `args[i]`, in
    `out`; the index of the word after it."""
    if text.startswith("--"):
        return _long(text[2:], args, i, names, out)
    return _cluster(text[1:], args, i, valued, out)


def _long(text: str, args: list[Arg], i: int, names: dict[str, str], out: Options) -> int:
    name, eq, value = text.partition("=")
    key = names.get(name + "=") or names.get(name) or name
    if eq:
        out.values.setdefault(key, []).append(Arg(value, value))
    elif name + "=" in names:
        out.values.setdefault(key, []).append(args[i] if i < len(args) else unknown(name))
        return i + 1
    else:
        out.flags.add(key)
    return i


def _cluster(text: str, args: list[Arg], i: int, valued: str, out: Options) -> int:
    for at, letter in enumerate(text):
        if letter in valued:
            rest = text[at + 1 :]
            if rest:
                out.values.setdefault(letter, []).append(Arg(rest, rest))
                return i
            out.values.setdefault(letter, []).append(args[i] if i < len(args) else unknown(""))
            return i + 1
        out.flags.add(letter)
    return i


def read_existing(args: list[Arg], sink: Sink) -> None:
    """What a program not looked into reads, at the least: each argument naming a file or
    directory on disk, and each `KEY=VALUE` word's value naming one (`dd if=F`, `--env=F`)."""
    for arg in args:
        if arg.text is None:
            continue
        _, eq, value = arg.text.partition("=")
        for candidate in (arg, Arg(value, value)) if eq else (arg,):
            if sink.exists(candidate):
                sink.read(candidate)


def short(text: str, limit: int = 60) -> str:
    """`text` on one line, cut to `limit` characters, for a description."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
