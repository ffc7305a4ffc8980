"""Commands that read files (for the read guard): their operands, less a pattern or program."""

from __future__ import annotations

from gitcoord.guard.shell_args import Arg, Handler, Sink, parse, short, unknown

GREP_NAMES = {
    "regexp=": "e",
    "file=": "f",
    "max-count=": "m",
    "after-context=": "A",
    "before-context=": "B",
    "context=": "C",
    "directories=": "d",
    "devices=": "D",
    "recursive": "r",
    "dereference-recursive": "R",
}
# ripgrep's options that take a value (it has many; the rest are flags).
RG_VALUED = "ABCEMTdefgjmrt"
RG_NAMES = {
    f"{name}=": letter
    for name, letter in {
        "regexp": "e",
        "file": "f",
        "glob": "g",
        "iglob": "iglob",
        "type": "t",
        "type-not": "T",
        "type-add": "type-add",
        "type-clear": "type-clear",
        "max-count": "m",
        "after-context": "A",
        "before-context": "B",
        "context": "C",
        "replace": "r",
        "max-depth": "d",
        "encoding": "E",
        "max-columns": "M",
        "threads": "j",
        "ignore-file": "ignore-file",
        "sort": "sort",
        "sortr": "sortr",
        "color": "color",
        "colors": "colors",
        "max-filesize": "max-filesize",
        "path-separator": "path-separator",
        "pre": "pre",
        "pre-glob": "pre-glob",
        "engine": "engine",
    }.items()
}
AWK_NAMES = {
    "file=": "f",
    "assign=": "v",
    "field-separator=": "F",
    "source=": "e",
    "include=": "i",
    "load=": "l",
    "exec=": "E",
}
SORT_NAMES = {
    "key=": "k",
    "output=": "o",
    "field-separator=": "t",
    "temporary-directory=": "T",
    "buffer-size=": "S",
}
NL_NAMES = {
    f"{name}=": letter
    for name, letter in {
        "body-numbering": "b",
        "section-delimiter": "d",
        "footer-numbering": "f",
        "header-numbering": "h",
        "line-increment": "i",
        "join-blank-lines": "l",
        "number-format": "n",
        "number-separator": "s",
        "starting-line-number": "v",
        "number-width": "w",
    }.items()
}
AWK_STATEMENT_ENDS = str.maketrans({";": "\n", "{": "\n", "}": "\n"})
XXD_VALUED = frozenset({"c", "cols", "g", "groupsize", "l", "len", "o", "s", "seek", "n", "name"})
JQ_VALUED = {"--indent": 1, "-L": 1, "--arg": 2, "--argjson": 2, "--slurpfile": 2, "--rawfile": 2}


def _reader(valued: str = "", names: dict[str, str] | None = None) -> Handler:
    """A command whose operands are the files it reads."""

    def handler(args: list[Arg], sink: Sink) -> None:
        for arg in parse(args, valued, names).operands:
            sink.read(arg)

    return handler


def _pager(valued: str) -> Handler:
    """less and more: an operand `+CMD` is a command to the pager, not a file."""
    read = _reader(valued)

    def handler(args: list[Arg], sink: Sink) -> None:
        read([arg for arg in args if not (arg.text or "").startswith("+")], sink)

    return handler


def _grep(args: list[Arg], sink: Sink) -> None:
    opts = parse(args, "efmABCdD", GREP_NAMES)
    for pattern_file in opts.values.get("f", []):
        sink.read(pattern_file)
    files = opts.operands if "e" in opts.values or "f" in opts.values else opts.operands[1:]
    if not files and opts.flags & {"r", "R"}:
        files = [Arg(".", ".")]  # grep -r PATTERN: the working directory
    for file in files:
        sink.read(file)


def _rg(args: list[Arg], sink: Sink) -> None:
    opts = parse(args, RG_VALUED, RG_NAMES)
    if "files" in opts.flags:
        return  # rg --files lists names, it reads no file
    for pattern_file in opts.values.get("f", []):
        sink.read(pattern_file)
    files = opts.operands if "e" in opts.values or "f" in opts.values else opts.operands[1:]
    for file in files or [Arg(".", ".")]:
        sink.read(file)


def _awk(args: list[Arg], sink: Sink) -> None:
    opts = parse(args, "fvFeiElo", AWK_NAMES)
    for program_file in opts.values.get("f", []) + opts.values.get("E", []):
        sink.read(program_file)
    operands = opts.operands
    if not (opts.values.keys() & {"f", "E", "e"}) and operands:
        programs, operands = [operands[0]], operands[1:]
    else:
        programs = opts.values.get("e", [])
    for program in programs:
        if program.text is None or _awk_writes(program.text):
            sink.note(f"awk output: {short(program.source)}")
    for operand in operands:
        name, eq, _ = (operand.text or "").partition("=")
        if not (eq and name.isidentifier()):  # NAME=VALUE operands are assignments
            sink.read(operand)


def _awk_writes(program: str) -> bool:
    """Whether an awk program may write files or run commands: `print > "f"`, `printf ... |`,
    `"cmd" | getline`, system(). A comparison `$1 > 5` outside print is not output."""
    for statement in program.translate(AWK_STATEMENT_ENDS).splitlines():
        printed = statement.partition("print")[2]
        piped = "|" in statement.replace("||", "")
        if "system(" in statement or piped or ">" in printed:
            return True
    return False


def _sort(args: list[Arg], sink: Sink) -> None:
    opts = parse(args, "kotTS", SORT_NAMES)
    for output in opts.values.get("o", []):
        sink.write(output)
    for file in opts.operands:
        sink.read(file)


def _source(args: list[Arg], sink: Sink) -> None:
    if args:
        sink.read(args[0])  # the rest are its positional parameters


def _xxd(args: list[Arg], sink: Sink) -> None:
    """xxd's options are single-dash words (-cols 8, -ps); operands: INFILE [OUTFILE]."""
    operands, i = [], 0
    while i < len(args):
        text = args[i].text
        i += 1
        if text is None or text == "-" or not text.startswith("-"):
            operands.append(args[i - 1])
        elif text.lstrip("-") in XXD_VALUED:
            i += 1
    if operands:
        sink.read(operands[0])
    for output in operands[1:2]:
        sink.write(output)


def _jq(args: list[Arg], sink: Sink) -> None:
    """jq FILTER FILES; -f FILE holds the filter; --args/--jsonargs: the rest are not files."""
    operands, filtered, positional, i = [], False, False, 0
    while i < len(args):
        arg, text = args[i], args[i].text
        i += 1
        if text in ("--args", "--jsonargs"):
            positional = True
        elif text in ("-f", "--from-file"):
            filtered, i = True, i + 1
            sink.read(args[i - 1] if i - 1 < len(args) else unknown(text))
        elif text in JQ_VALUED:
            if text in ("--slurpfile", "--rawfile") and i + 1 < len(args):
                sink.read(args[i + 1])
            i += JQ_VALUED[text]
        elif text is None or text == "-" or not text.startswith("-"):
            if not filtered:
                filtered = True  # the filter
            elif not positional:
                operands.append(arg)
    for file in operands:
        sink.read(file)


SUMS = ("md5sum", "sha1sum", "sha224sum", "sha256sum", "sha384sum", "sha512sum", "b2sum")
READERS: dict[str, Handler] = {
    "cat": _reader(),
    "tac": _reader("s", {"separator=": "s"}),
    "nl": _reader("bdfhilnsvw", NL_NAMES),
    "cut": _reader("bcdf", {"bytes=": "b", "characters=": "c", "delimiter=": "d", "fields=": "f"}),
    "rev": _reader(),
    "paste": _reader("d", {"delimiters=": "d"}),
    "fold": _reader("w", {"width=": "w"}),
    "less": _pager("bhjkoOpPtTxyz"),
    "more": _pager("n"),
    "head": _reader("nc", {"lines=": "n", "bytes=": "c"}),
    "tail": _reader("ncs", {"lines=": "n", "bytes=": "c", "sleep-interval=": "s", "pid=": "p"}),
    "wc": _reader(),
    "diff": _reader("CUFISxXLD", {"label=": "L", "exclude=": "x", "exclude-from=": "X"}),
    "cmp": _reader("in", {"ignore-initial=": "i", "bytes=": "n"}),
    "base64": _reader("w", {"wrap=": "w"}),
    "od": _reader("AjNSt", {"address-radix=": "A", "skip-bytes=": "j", "read-bytes=": "N"}),
    "strings": _reader("nteT", {"bytes=": "n", "radix=": "t", "encoding=": "e"}),
    "cksum": _reader(),
    **{name: _reader() for name in SUMS},
    "grep": _grep,
    "egrep": _grep,
    "fgrep": _grep,
    "rg": _rg,
    "awk": _awk,
    "gawk": _awk,
    "mawk": _awk,
    "nawk": _awk,
    "sort": _sort,
    "source": _source,
    ".": _source,
    "xxd": _xxd,
    "jq": _jq,
}
