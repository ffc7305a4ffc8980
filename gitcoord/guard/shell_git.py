"""What a git command writes in the working tree: checkout/restore PATHS, rm, mv; the commands that
change files they do not name (a branch switch, merge, reset --hard, ...) are undetermined. What
it shows: `git grep`'s paths, and the files named to show, diff, log, blame, ... including the
committed versions (`git show HEAD:PATH`), which hold the same secret."""

from __future__ import annotations

from gitcoord.guard.shell_args import (
    Arg,
    Handler,
    Options,
    Sink,
    inside,
    joined,
    parse,
    short,
)
from gitcoord.guard.shell_readers import GREP_NAMES

# git's own options before the subcommand that take a value (-C is handled: it moves the cwd).
GLOBAL_VALUED = frozenset({"-c", "--git-dir", "--work-tree", "--namespace", "--config-env"})
# Subcommands that rewrite files they do not name, unless only asked to show or test something.
REWRITERS = frozenset(
    {"merge", "pull", "rebase", "cherry-pick", "revert", "am", "apply", "stash", "clean"}
)
HARMLESS = frozenset({"list", "show", "-n", "--dry-run", "--check", "--stat"})
GIT_GREP_NAMES = {**GREP_NAMES, "max-depth=": "max-depth", "threads=": "threads"}
# Subcommands that print the contents of the files (or the revisions of files) they name.
SHOWERS = ("show", "cat-file", "diff", "difftool", "log", "whatchanged", "blame", "annotate")
CHECKOUT_NAMES = {"conflict=": "conflict", "orphan=": "orphan", "pathspec-from-file=": "from"}


def _git(args: list[Arg], sink: Sink) -> None:
    directory: Arg | None = None
    i = 0
    while i < len(args) and (args[i].text or "").startswith("-"):
        text = args[i].text
        if text == "-C" and i + 1 < len(args):
            following = args[i + 1]
            directory = following if directory is None else joined(directory, following)
        i += 2 if text == "-C" or text in GLOBAL_VALUED else 1
    if i >= len(args):
        return
    if directory is not None:  # git -C DIR: its paths are relative to DIR
        sink.run([Arg("git", "git"), *args[i:]], directory)
        return
    if args[i].text is None:
        sink.note(f"git {short(args[i].source)}")
    handler = SUBCOMMANDS.get(args[i].text or "")
    if handler is not None:
        handler(args[i + 1 :], sink)


def _checkout(args: list[Arg], sink: Sink) -> None:
    """`git checkout [REV] -- PATHS` writes PATHS; without `--`, a first word naming no file on
    disk is a revision, and with nothing after it the command switches branches."""
    dashes = next((at for at, arg in enumerate(args) if arg.text == "--"), None)
    opts = parse(args if dashes is None else args[:dashes], "bB", CHECKOUT_NAMES)
    if _from_file(opts, sink, "checkout"):
        return
    if dashes is not None:
        for path in args[dashes + 1 :]:
            sink.write(path)
        return
    words = opts.operands
    if not words:
        return  # `git checkout -b NEW`: a new branch where HEAD is, no file changes
    if opts.values.keys() & {"b", "B", "orphan"} or (len(words) == 1 and not sink.exists(words[0])):
        sink.note(f"git checkout {short(' '.join(w.source for w in words))}: switches branches")
        return
    if not sink.exists(words[0]):
        words = words[1:]  # the revision the paths come from
    for path in words:
        sink.write(path)


def _restore(args: list[Arg], sink: Sink) -> None:
    opts = parse(args, "s", {"source=": "s", **CHECKOUT_NAMES})
    if not _from_file(opts, sink, "restore"):
        for path in opts.operands:
            sink.write(path)  # --staged alone changes the index: still what the commit holds


def _rm(args: list[Arg], sink: Sink) -> None:
    opts = parse(args, "", {"pathspec-from-file=": "from", "dry-run": "n"})
    if "n" not in opts.flags and not _from_file(opts, sink, "rm"):
        for path in opts.operands:
            sink.delete(path)


def _mv(args: list[Arg], sink: Sink) -> None:
    opts = parse(args, "", {"dry-run": "n"})
    if "n" in opts.flags or len(opts.operands) < 2:
        return
    *sources, dest = opts.operands
    into = len(sources) > 1 or sink.is_dir(dest)
    for source in sources:
        sink.delete(source)
        sink.write(inside(dest, source) if into else dest)


def _switch(args: list[Arg], sink: Sink) -> None:
    opts = parse(args, "cC", {"create=": "c", "force-create=": "C", "orphan=": "orphan"})
    if not (opts.values and not opts.operands):  # `switch -c NEW` alone changes no files
        sink.note(f"git switch {short(' '.join(a.source for a in args))}: switches branches")


def _reset(args: list[Arg], sink: Sink) -> None:
    if {a.text for a in args} & {"--hard", "--merge", "--keep"}:
        sink.note("git reset: changes files it does not name")


def _rewriter(name: str) -> Handler:
    def handler(args: list[Arg], sink: Sink) -> None:
        if not {a.text for a in args} & HARMLESS:
            sink.note(f"git {name}: changes files it does not name")

    return handler


def _grep(args: list[Arg], sink: Sink) -> None:
    """git grep [REVS] PATTERN [REVS] [--] [PATHS]: with no path, the working directory."""
    dashes = next((at for at, arg in enumerate(args) if arg.text == "--"), len(args))
    opts = parse(args[:dashes], "efABCm", GIT_GREP_NAMES)
    for pattern_file in opts.values.get("f", []):
        sink.read(pattern_file)
    words = opts.operands if opts.values.keys() & {"e", "f"} else opts.operands[1:]
    paths = args[dashes + 1 :]
    before = [word for word in words if _revision_path(word, sink) or sink.exists(word)]
    for path in before + paths or [Arg(".", ".")]:
        sink.read(_revision_path(path, sink) or path)


def _shows(args: list[Arg], sink: Sink) -> None:
    """Each argument naming a file on disk, each REV:PATH and every path after `--` is shown
    (git archive: packed); `-o FILE`/`--output=FILE` is written."""
    dashes = next((at for at, arg in enumerate(args) if arg.text == "--"), len(args))
    for at, arg in enumerate(args):
        text = arg.text or ""
        if text in ("-o", "--output") and at + 1 < len(args):
            sink.write(args[at + 1])
        elif text.startswith("--output="):
            sink.write(Arg(text[9:], arg.source))
        elif at > dashes or _revision_path(arg, sink) or sink.exists(arg):
            sink.read(_revision_path(arg, sink) or arg)


def _revision_path(arg: Arg, sink: Sink) -> Arg | None:
    """The file a `REV:PATH` or `:PATH` (`:0:PATH`) word names: PATH from the top of the
    working tree, or from the working directory when it starts with ./ or ../; None for any
    other word (and for `:/TEXT`, a commit found by its message)."""
    text = arg.text or ""
    if text.startswith("-"):
        return None
    revision, colon, path = text.partition(":")
    if not revision and len(path) > 1 and path[0] in "0123" and path[1] == ":":
        path = path[2:]
    elif not revision and path.startswith(("/", "!")):
        return None
    if not colon or not path:
        return None
    if path in (".", "..") or path.startswith(("./", "../")):
        return Arg(path, arg.source)
    return joined(sink.top(), Arg(path, arg.source))


def _from_file(opts: Options, sink: Sink, name: str) -> bool:
    if "from" in opts.values:
        sink.note(f"git {name} --pathspec-from-file: paths listed in a file")
        return True
    return False


SUBCOMMANDS: dict[str, Handler] = {
    "checkout": _checkout,
    "restore": _restore,
    "rm": _rm,
    "mv": _mv,
    "switch": _switch,
    "reset": _reset,
    "grep": _grep,
    "archive": _shows,
    **dict.fromkeys(SHOWERS, _shows),
    **{name: _rewriter(name) for name in REWRITERS},
}
GIT: dict[str, Handler] = {"git": _git}
