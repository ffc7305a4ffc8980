"""What a git command writes in the working tree: checkout/restore PATHS, rm, mv; the commands that
change files they do not name (a branch switch, merge, reset --hard, ...) are undetermined."""

from __future__ import annotations

import os

from gitcoord.guard.shell_args import Arg, Handler, Options, Sink, inside, parse, short, unknown

# git's own options before the subcommand that take a value (-C is handled: it moves the cwd).
GLOBAL_VALUED = frozenset({"-c", "--git-dir", "--work-tree", "--namespace", "--config-env"})
# Subcommands that rewrite files they do not name, unless only asked to show or test something.
REWRITERS = frozenset(
    {"merge", "pull", "rebase", "cherry-pick", "revert", "am", "apply", "stash", "clean"}
)
HARMLESS = frozenset({"list", "show", "-n", "--dry-run", "--check", "--stat"})
CHECKOUT_NAMES = {"conflict=": "conflict", "orphan=": "orphan", "pathspec-from-file=": "from"}


def _git(args: list[Arg], sink: Sink) -> None:
    directory: Arg | None = None
    i = 0
    while i < len(args) and (args[i].text or "").startswith("-"):
        text = args[i].text
        if text == "-C" and i + 1 < len(args):
            following = args[i + 1]
            directory = following if directory is None else _joined(directory, following)
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


def _joined(directory: Arg, path: Arg) -> Arg:
    """`git -C a -C b`: b relative to a."""
    if directory.text is None or path.text is None:
        return unknown(path.source)
    return Arg(os.path.join(directory.text, path.text), path.source)


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
    **{name: _rewriter(name) for name in REWRITERS},
}
GIT: dict[str, Handler] = {"git": _git}
