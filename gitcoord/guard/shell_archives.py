"""Compressors, archivers and openssl: the files they read (to the terminal, or packed where the
agent can unpack them), and those they write."""

from __future__ import annotations

import os

from gitcoord.guard.shell_args import (
    Arg,
    Handler,
    Options,
    Sink,
    joined,
    option,
    parse,
    read_existing,
)

COMPRESSOR_NAMES = {
    "stdout": "c",
    "to-stdout": "c",
    "decompress": "d",
    "uncompress": "d",
    "keep": "k",
    "test": "t",
    "list": "l",
    "recursive": "r",
    "suffix=": "S",
    "format=": "F",
    "check=": "C",
    "memlimit=": "M",
    "threads=": "T",
}
# tar's options that take a value, and its modes (long names as their letter).
TAR_VALUED = "fCTXbKNgVLHI"
TAR_NAMES = {
    **{f"{name}=": letter for name, letter in {"file": "f", "directory": "C"}.items()},
    **{f"{name}=": letter for name, letter in {"files-from": "T", "exclude-from": "X"}.items()},
    **{f"{name}=": "g" for name in ("listed-incremental",)},
    **{f"{name}=": name for name in ("exclude", "transform", "xform", "to-command", "owner")},
    **{f"{name}=": name for name in ("group", "mode", "mtime", "strip-components", "format")},
    **{f"{name}=": name for name in ("use-compress-program", "newer", "label", "sort")},
    **{"create": "c", "extract": "x", "get": "x", "list": "t", "append": "r", "update": "u"},
    **{"diff": "d", "compare": "d", "concatenate": "A", "catenate": "A", "to-stdout": "O"},
}
TAR_PACKS = frozenset("cruA")
ZIP_VALUED = frozenset("bnPtO")
# openssl's options naming a file it reads or writes; `-pass file:F` reads F.
OPENSSL_READS = frozenset(
    {"in", "inkey", "key", "kfile", "CAfile", "cert", "certfile", "signkey", "sigfile"}
)
OPENSSL_READS_ALSO = frozenset({"signature", "prvkey", "peerkey", "untrusted", "CRLfile"})
OPENSSL_WRITES = frozenset({"out", "keyout"})
OPENSSL_PASSWORDS = frozenset({"pass", "passin", "passout"})


def _compressor(suffix: str, valued: str, *, unpack: bool = False, cat: bool = False) -> Handler:
    """gzip, bzip2, xz and their gunzip/zcat forms: FILE becomes FILE.gz (or back), the
    original removed unless -k; -c writes to standard output instead, -t/-l only read."""

    def handler(args: list[Arg], sink: Sink) -> None:
        opts = parse(args, valued, COMPRESSOR_NAMES)
        ending = (opts.values.get("S") or [Arg(suffix, suffix)])[-1].text or suffix
        decompress = unpack or cat or "d" in opts.flags
        for file in opts.operands:
            if file.text == "-":
                continue  # standard input
            sink.read(file)
            if cat or opts.flags & {"c", "t", "l"}:
                continue
            if "r" in opts.flags and sink.is_dir(file):
                sink.write(file)  # each file under it
                continue
            if file.text is None:
                sink.write(file)  # notes it
                continue
            if decompress and not file.text.endswith(ending):
                continue  # refused: "unknown suffix"
            out = file.text[: -len(ending)] if decompress else file.text + ending
            sink.write(Arg(out, file.source))
            if "k" not in opts.flags:
                sink.delete(file)

    return handler


def _tar(args: list[Arg], sink: Sink) -> None:
    """tar's options come in three dialects (`tar czf A`, `-czf A`, `--file=A`), and -C moves
    the files named after it (when packing) or all of them (when unpacking)."""
    words = _old_style(args)
    opts = Options([], set(), {})
    directory: Arg | None = None
    named: list[tuple[Arg, Arg | None]] = []  # each file operand, and the -C before it
    i = 0
    while i < len(words):
        arg, text = words[i], words[i].text
        i += 1
        if text is None or text == "-" or not text.startswith("-"):
            named.append((arg, directory))
        elif text == "--":
            named += [(word, directory) for word in words[i:]]
            break
        else:
            moved = len(opts.values.get("C", []))
            i = option(text, words, i, TAR_VALUED, TAR_NAMES, opts)
            for given in opts.values.get("C", [])[moved:]:
                directory = given if directory is None else joined(directory, given)
    archives = [a for a in opts.values.get("f", []) if a.text != "-"]
    for listing in opts.values.get("T", []) + opts.values.get("X", []):
        sink.read(listing)
    if opts.flags & TAR_PACKS:
        for archive in archives:
            sink.write(archive)
        for file, under in named:  # read from the directory the -C before it names
            sink.read(file if under is None else joined(under, file))
        if "T" in opts.values:
            sink.note("tar -T: the files listed in it")
        return
    for archive in archives:
        sink.read(archive)
    if "x" not in opts.flags or opts.flags & {"O", "t"} or "to-command" in opts.values:
        return
    members = [file if directory is None else joined(directory, file) for file, _ in named]
    for member in members:  # unpacked into the last -C, wherever it stands
        sink.write(member)
    if not members and directory is not None:
        sink.write(directory)  # the files in the archive, under it
    elif not members:
        sink.note("tar x: the files in the archive")


def _old_style(args: list[Arg]) -> list[Arg]:
    """`tar czf A.tgz src` as `tar -c -z -f A.tgz src`: each letter taking a value takes the
    next word."""
    first = args[0].text if args else None
    if first is None or first.startswith("-"):
        return args
    words, rest = [], list(args[1:])
    for letter in first:
        words.append(Arg(f"-{letter}", f"-{letter}"))
        if letter in TAR_VALUED and rest:
            words.append(rest.pop(0))
    return words + rest


def _zip(args: list[Arg], sink: Sink) -> None:
    """zip ARCHIVE FILES: reads FILES (-m: moves them in), writes ARCHIVE (`.zip` added to a
    name without an extension); -x/-i are followed by patterns, not files."""
    operands, flags, i = [], set(), 0
    while i < len(args):
        arg, text = args[i], args[i].text
        i += 1
        if text is None or text == "-" or not text.startswith("-"):
            operands.append(arg)
        elif text in ("-x", "-i", "--exclude", "--include"):
            while i < len(args) and not (args[i].text or "-").startswith("-"):
                i += 1
        elif text in ("-O", "--output-file") and i < len(args):
            sink.write(args[i])
            i += 1
        elif not text.startswith("--"):
            flags |= set(text[1:])
            i += 1 if text == "-tt" else len(ZIP_VALUED & set(text[1:]))
    if not operands:
        return
    archive, *files = operands
    name = os.path.basename(archive.text or "")
    if archive.text != "-":  # `zip - FILES`: to standard output
        sink.write(archive if archive.text is None or "." in name else _suffixed(archive, ".zip"))
    for file in files:
        sink.read(file)
        if "m" in flags:
            sink.delete(file)


def _suffixed(arg: Arg, suffix: str) -> Arg:
    return Arg(f"{arg.text}{suffix}", f"{arg.source}{suffix}")


def _unzip(args: list[Arg], sink: Sink) -> None:
    """unzip ARCHIVE [MEMBERS] [-d DIR]: the members (or the whole archive) written under DIR;
    -l, -t, -v, -Z, -p and -c only list, test or print."""
    operands, flags, directory, i = [], set(), None, 0
    while i < len(args):
        arg, text = args[i], args[i].text
        i += 1
        if text is None or text == "-" or not text.startswith("-"):
            operands.append(arg)
        elif text == "-x":
            while i < len(args) and not (args[i].text or "-").startswith("-"):
                i += 1
        elif text.startswith("-d"):
            given = text[2:]
            directory = Arg(given, given) if given else args[i] if i < len(args) else None
            i += 0 if given else 1
        else:
            flags |= set(text[1:])
    if not operands:
        return
    archive, *members = operands
    sink.read(archive)
    if flags & set("ltvZpc"):
        return
    if members:
        for member in members:
            sink.write(member if directory is None else joined(directory, member))
    elif directory is not None:
        sink.write(directory)
    else:
        sink.note("unzip: the files in the archive")


def _openssl(args: list[Arg], sink: Sink) -> None:
    """openssl SUBCOMMAND: `-in F`, `-key F`, ... read, `-out F` writes; other words naming
    files on disk (`openssl dgst F`) are read."""
    rest, i = [], 1
    while i < len(args):
        arg, text = args[i], (args[i].text or "")
        name = text.lstrip("-") if text.startswith("-") else ""
        value = args[i + 1] if i + 1 < len(args) else None
        i += 1
        if value is not None and name in OPENSSL_READS | OPENSSL_READS_ALSO | OPENSSL_WRITES:
            i += 1
            (sink.write if name in OPENSSL_WRITES else sink.read)(value)
        elif value is not None and name in OPENSSL_PASSWORDS:
            i += 1
            source = value.text or ""
            if source.startswith("file:"):
                sink.read(Arg(source[5:], value.source))
        if not name:
            rest.append(arg)
    read_existing(rest, sink)


ARCHIVES: dict[str, Handler] = {
    "gzip": _compressor(".gz", "S"),
    "gunzip": _compressor(".gz", "S", unpack=True),
    "zcat": _compressor(".gz", "S", cat=True),
    "bzip2": _compressor(".bz2", ""),
    "bunzip2": _compressor(".bz2", "", unpack=True),
    "bzcat": _compressor(".bz2", "", cat=True),
    "xz": _compressor(".xz", "SFCMT"),
    "unxz": _compressor(".xz", "SFCMT", unpack=True),
    "xzcat": _compressor(".xz", "SFCMT", cat=True),
    "tar": _tar,
    "zip": _zip,
    "unzip": _unzip,
    "openssl": _openssl,
}
