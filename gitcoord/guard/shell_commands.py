"""What each known command writes, deletes and reads: the file utilities here, the readers,
archivers, other programs, git and the wrappers in their own modules, all in `COMMANDS`
(command name -> handler). A command not in it reads the files its arguments name
(shell_run.py).

mkdir, rmdir, chmod and chown change no file's content: they are not writes here.
"""

from __future__ import annotations

import os

from gitcoord.guard.shell_archives import ARCHIVES
from gitcoord.guard.shell_args import Arg, Handler, Options, Sink, inside, parse, unknown
from gitcoord.guard.shell_git import GIT
from gitcoord.guard.shell_programs import PROGRAMS
from gitcoord.guard.shell_readers import READERS
from gitcoord.guard.shell_wrappers import WRAPPERS

COPY_NAMES = {"target-directory=": "t", "suffix=": "S", "no-target-directory": "T"}
INSTALL_NAMES = {**COPY_NAMES, "mode=": "m", "owner=": "o", "group=": "g", "directory": "d"}
PERL_REST = "IMmlx0CdDVF"  # perl options whose value is the rest of their word


def _cd(args: list[Arg], sink: Sink) -> None:
    operands = parse(args).operands
    if not operands:
        sink.chdir(sink.home())
    elif operands[0].text == "-":
        sink.chdir(unknown("-"))  # $OLDPWD
    else:
        sink.chdir(operands[0])


def _pushd(args: list[Arg], sink: Sink) -> None:
    opts = parse(args)
    if "n" in opts.flags:
        return  # -n: the stack changes, the directory does not
    operands = opts.operands
    if len(operands) == 1 and operands[0].text and operands[0].text[0] not in "+-":
        sink.chdir(operands[0])
    else:  # a rotation of the stack: where it leads is not known here
        sink.chdir(unknown("pushd"))


def _popd(args: list[Arg], sink: Sink) -> None:
    if "n" not in parse(args).flags:
        sink.chdir(unknown("popd"))


def _writer(valued: str = "", names: dict[str, str] | None = None) -> Handler:
    """A command whose operands are the files it writes (tee, touch, truncate)."""

    def handler(args: list[Arg], sink: Sink) -> None:
        for arg in parse(args, valued, names).operands:
            sink.write(arg)

    return handler


def _rm(args: list[Arg], sink: Sink) -> None:
    for arg in parse(args).operands:
        sink.delete(arg)  # rm -r DIR: the directory, which stands for all under it


def _dd(args: list[Arg], sink: Sink) -> None:
    for arg in args:
        text = arg.text if arg.text is not None else arg.source
        key, _, value = text.partition("=")
        target = Arg(value, value) if arg.text is not None else unknown(arg.source)
        if key == "of":
            sink.write(target)
        elif key == "if":
            sink.read(target)


def _copies(opts: Options, sink: Sink) -> list[tuple[Arg, Arg]]:
    """(source, the path it is written to) for cp, mv, install and ln."""
    directory = opts.values.get("t")
    if directory:
        return [(source, inside(directory[-1], source)) for source in opts.operands]
    if len(opts.operands) < 2:
        return []
    *sources, dest = opts.operands
    into = len(sources) > 1 or sink.is_dir(dest) or (dest.text or "").endswith("/")
    if into and "T" not in opts.flags:
        return [(source, inside(dest, source)) for source in sources]
    return [(source, dest) for source in sources]


def _cp(args: list[Arg], sink: Sink) -> None:
    for source, dest in _copies(parse(args, "tS", COPY_NAMES), sink):
        sink.read(source)
        sink.write(dest)


def _mv(args: list[Arg], sink: Sink) -> None:
    for source, dest in _copies(parse(args, "tS", COPY_NAMES), sink):
        sink.delete(source)
        sink.write(dest)


def _install(args: list[Arg], sink: Sink) -> None:
    opts = parse(args, "tSmog", INSTALL_NAMES)
    if "d" in opts.flags:
        return  # install -d: directories, like mkdir
    for source, dest in _copies(opts, sink):
        sink.read(source)
        sink.write(dest)


def _ln(args: list[Arg], sink: Sink) -> None:
    opts = parse(args, "tS", COPY_NAMES)
    if len(opts.operands) == 1 and "t" not in opts.values:
        sink.write(inside(Arg(".", "."), opts.operands[0]))  # ln -s /a/b: ./b
        return
    for _, link in _copies(opts, sink):
        sink.write(link)


def _backup(file: Arg, suffix: str) -> Arg:
    """The backup `sed -i SUFFIX` / `perl -iSUFFIX` keeps of `file` (a `*` is its name)."""
    if file.text is None or "/" in suffix:
        return unknown(f"{file.source} backup {suffix}")
    if "*" not in suffix:
        return Arg(file.text + suffix, file.source + suffix)
    directory, name = os.path.split(file.text)
    return Arg(os.path.join(directory, suffix.replace("*", name)), suffix)


def _edited(files: list[Arg], in_place: bool, suffix: str, sink: Sink) -> None:
    for file in files:
        if not in_place:
            sink.read(file)
            continue
        sink.write(file)
        if suffix:
            sink.write(_backup(file, suffix))


def _sed(args: list[Arg], sink: Sink) -> None:
    """Long because GNU and BSD sed spell -i differently: GNU `-i[SUFFIX]`, BSD `-i SUFFIX`
    (`sed -i '' -e ...`); a standalone -i followed by '' or a `.suffix` is read as BSD's."""
    scripted, in_place, suffix, operands, i = False, False, "", [], 0
    while i < len(args):
        text = args[i].text
        i += 1
        if text is None or text == "-" or not text.startswith("-"):
            operands.append(args[i - 1])
        elif text == "--":
            operands += args[i:]
            break
        elif text.startswith("--"):
            name, eq, value = text[2:].partition("=")
            if name == "in-place":
                in_place, suffix = True, value
            elif name in ("expression", "file", "line-length"):
                given = Arg(value, value) if eq else args[i] if i < len(args) else unknown(name)
                i += 0 if eq else 1
                scripted = scripted or name != "line-length"
                if name == "file":
                    sink.read(given)
        else:
            for at, letter in enumerate(text[1:], 2):
                rest = text[at:]
                if letter in "iI":
                    in_place, suffix = True, rest
                    if not rest and i < len(args) and _bsd_suffix(args[i].text):
                        suffix, i = args[i].text or "", i + 1
                    break
                if letter in "efl":
                    given = Arg(rest, rest) if rest else args[i] if i < len(args) else unknown("")
                    i += 0 if rest else 1
                    scripted = scripted or letter != "l"
                    if letter == "f":
                        sink.read(given)
                    break
    _edited(operands if scripted else operands[1:], in_place, suffix, sink)


def _bsd_suffix(text: str | None) -> bool:
    return text == "" or (text is not None and text.startswith(".") and " " not in text)


def _perl(args: list[Arg], sink: Sink) -> None:
    """perl's files are its arguments after the program; with -i it rewrites them."""
    coded, in_place, suffix, loops, i = False, False, "", False, 0
    while i < len(args):
        text = args[i].text
        if text is None or text == "-" or not text.startswith("-"):
            break  # perl's options end at the program (or its file)
        i += 1
        if text == "--":
            break
        for at, letter in enumerate("" if text.startswith("--") else text[1:], 2):
            if letter == "i":
                in_place, suffix = True, text[at:]
                break
            if letter in "eE":
                coded, i = True, i + (0 if text[at:] else 1)
                break
            if letter in PERL_REST:
                break
            loops = loops or letter in "np"
    operands = args[i:]
    if not coded and operands:
        sink.read(operands[0])  # the program's file
        operands = operands[1:]
    if in_place or loops:
        _edited(operands, in_place, suffix, sink)


COMMANDS: dict[str, Handler] = {
    "cd": _cd,
    "pushd": _pushd,
    "popd": _popd,
    "tee": _writer(),
    "touch": _writer("drt", {"date=": "d", "reference=": "r", "time=": "time"}),
    "truncate": _writer("sr", {"size=": "s", "reference=": "r"}),
    "rm": _rm,
    "unlink": _rm,
    "dd": _dd,
    "cp": _cp,
    "mv": _mv,
    "install": _install,
    "ln": _ln,
    "sed": _sed,
    "gsed": _sed,
    "perl": _perl,
    **READERS,
    **ARCHIVES,
    **PROGRAMS,
    **GIT,
    **WRAPPERS,
}
