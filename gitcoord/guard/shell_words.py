"""A bash word's value as the command receives it: quotes and backslashes removed, `~` expanded.

A word holding a parameter expansion, a command substitution, arithmetic or a brace expansion
has no value here (`Word.text` is None): the guard never guesses what a variable holds.
"""

from __future__ import annotations

import glob
import itertools
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from tree_sitter import Node

from gitcoord.guard.shell_args import Arg, unknown

GLOB_CHARS = "*?["
# $'...' escapes with a one-character meaning (bash's "ANSI-C quoting").
C_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "e": "\x1b",
    "E": "\x1b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "?": "?",
}
# What bash passes for `<(cmd)` / `>(cmd)`: a pipe, never a project file.
PROCESS_SUBSTITUTION = "/dev/fd/63"
MAX_MATCHES = 1000  # a glob matching more is left undetermined rather than listed


class Word(NamedTuple):
    text: str | None  # None: the value depends on something unknown here
    pattern: str | None  # a glob pattern (quoted glob characters escaped), if the word is one


Chunks = list[tuple[str, bool]]  # (text, quoted)


def evaluate(node: Node, home: str | None) -> Word:
    chunks: Chunks = []
    if not _collect(node, chunks):
        return Word(None, None)
    merged: Chunks = []
    for quoted, group in itertools.groupby(chunks, key=lambda chunk: chunk[1]):
        text = "".join(t for t, _ in group)
        if text:
            merged.append((text, quoted))
    expanded = _tilde(merged, home)
    if expanded is None or _has_braces(expanded):
        return Word(None, None)
    text = "".join(t for t, _ in expanded)
    if not any(c in t for t, quoted in expanded if not quoted for c in GLOB_CHARS):
        return Word(text, None)
    return Word(text, "".join(t if not quoted else glob.escape(t) for t, quoted in expanded))


def _collect(node: Node, out: Chunks) -> bool:
    kind, raw = node.type, node_text(node)
    if kind in ("word", "extglob_pattern"):
        _unquoted(raw, out)
    elif kind in ("number", "variable_name"):
        out.append((raw, False))
    elif kind == "raw_string":
        out.append((raw[1:-1], True))
    elif kind == "ansi_c_string":
        decoded = _ansi_c(raw[2:-1])
        if decoded is None:
            return False
        out.append((decoded, True))
    elif kind == "string":
        return _string(node, out)
    elif kind == "concatenation":
        return all(_collect(child, out) for child in node.children)
    elif kind == "process_substitution":
        out.append((PROCESS_SUBSTITUTION, True))
    else:  # expansions, substitutions, arithmetic, brace expressions, ERROR, ...
        return False
    return True


def _string(node: Node, out: Chunks) -> bool:
    """A "..." word. The grammar leaves the newlines between its lines out of every child:
    they are taken from the text between the children."""
    raw, end = node.text or b"", node.start_byte
    for child in node.children:
        gap = raw[end - node.start_byte : child.start_byte - node.start_byte]
        if gap:
            out.append((gap.decode("utf-8", "replace"), True))
        if not _string_part(child, out):
            return False
        end = child.end_byte
    return True


def _string_part(node: Node, out: Chunks) -> bool:
    if not node.is_named:
        return True  # the quotes
    if node.type != "string_content":
        return False
    out.append((_backslashed(node_text(node), '$`"\\\n'), True))  # inside "..."
    return True


def _backslashed(raw: str, quotable: str) -> str:
    """`raw` with each backslash before one of `quotable` removed (before a newline: both)."""
    text, i = [], 0
    while i < len(raw):
        if raw[i] == "\\" and i + 1 < len(raw) and raw[i + 1] in quotable:
            text.append("" if raw[i + 1] == "\n" else raw[i + 1])
            i += 2
        else:
            text.append(raw[i])
            i += 1
    return "".join(text)


def _unquoted(raw: str, out: Chunks) -> None:
    start = i = 0
    while True:
        i = raw.find("\\", i)
        if i == -1 or i + 1 == len(raw):
            out.append((raw[start:], False))
            return
        out.append((raw[start:i], False))
        if raw[i + 1] != "\n":  # backslash-newline is a line continuation
            out.append((raw[i + 1], True))
        start = i = i + 2


def _ansi_c(raw: str) -> str | None:
    text, i = [], 0
    while i < len(raw):
        if raw[i] != "\\" or i + 1 == len(raw):
            text.append(raw[i])
            i += 1
            continue
        letter = raw[i + 1]
        if letter in C_ESCAPES:
            text.append(C_ESCAPES[letter])
            i += 2
        elif letter == "x" or letter in "01234567":
            digits, base = (raw[i + 2 : i + 4], 16) if letter == "x" else (raw[i + 1 : i + 4], 8)
            digits = "".join(d for d in _prefix(digits, base))
            if not digits:
                return None
            text.append(chr(int(digits, base)))
            i += 1 + len(digits) + (letter == "x")
        else:  # \u, \U, \cX and the rest: not worth decoding; the word stays undetermined
            return None
    return "".join(text)


def _prefix(digits: str, base: int) -> str:
    valid = "0123456789abcdefABCDEF" if base == 16 else "01234567"
    end = 0
    while end < len(digits) and digits[end] in valid:
        end += 1
    return digits[:end]


def _tilde(chunks: Chunks, home: str | None) -> Chunks | None:
    """`~` and `~/...` at the start, and after `NAME=` (bash expands that in arguments too)."""
    if not chunks or chunks[0][1]:
        return chunks
    first = chunks[0][0]
    name, eq, _ = first.partition("=")
    prefix = name + eq if eq and name.isidentifier() else ""
    rest = first[len(prefix) :]
    if not rest.startswith("~"):
        return chunks
    user = rest[1:].split("/", 1)[0]
    if user == "" and "/" not in rest and len(chunks) > 1:
        return chunks  # ~"/x": the tilde-prefix holds quoted characters, bash keeps it as is
    if user or home is None:  # ~user, ~+, ~-: not known here
        return None
    return [(prefix + home + rest[1:], True), *chunks[1:]]


def _has_braces(chunks: Chunks) -> bool:
    """An unquoted {a,b} or {1..3}: bash makes several words of it."""
    masked = "".join(t if not quoted else "\0" * len(t) for t, quoted in chunks)
    start = masked.find("{")
    while start != -1:
        end = masked.find("}", start)
        if end == -1:
            return False
        inner = masked[start + 1 : end]
        if "," in inner or ".." in inner:
            return True
        start = masked.find("{", start + 1)
    return False


def standard_input(redirects: tuple[Node, ...], home: str | None) -> Arg | None:
    """The text of the here-document or here-string a command reads, if its last input
    redirection is one (`apply_patch <<'EOF'`, `bash <<< CODE`)."""
    given: Arg | None = None
    for redirect in sorted(redirects, key=lambda node: node.start_byte):
        if redirect.type == "heredoc_redirect":
            given = heredoc(redirect)
        elif redirect.type == "herestring_redirect" and redirect.named_children:
            word = redirect.named_children[-1]  # no glob or word splitting here
            text = evaluate(word, home).text
            given = Arg(None if text is None else text + "\n", node_text(word))
        elif redirect.type == "file_redirect" and any(c.type == "<" for c in redirect.children):
            given = None
    return given


def heredoc(redirect: Node) -> Arg:
    """A here-document's text as the command reads it; unknown (its source kept) when an
    unquoted one expands something."""
    start = next((c for c in redirect.children if c.type == "heredoc_start"), None)
    body = next((c for c in redirect.children if c.type == "heredoc_body"), None)
    raw = "" if body is None else node_text(body)
    if start is None or any(c in node_text(start) for c in "'\"\\"):
        return Arg(raw, raw)  # a quoted delimiter: the body as written
    if body is not None and any(c.type != "heredoc_content" for c in body.named_children):
        return unknown(raw)
    return Arg(_backslashed(raw, "$`\\\n"), raw)  # a backslash quotes only these


def node_text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def expand(node: Node, home: str | None, cwd: str | None) -> list[Arg]:
    """The arguments one word becomes: its glob's matches (sorted) against `cwd`, else itself."""
    source = node_text(node)
    word = evaluate(node, home)
    if word.text is None:
        return [unknown(source)]
    if word.pattern is None:
        return [Arg(word.text, source)]
    if cwd is None and not word.pattern.startswith("/"):
        return [unknown(source)]  # relative to a directory that is not known
    try:
        matches = sorted(itertools.islice(glob.iglob(word.pattern, root_dir=cwd), MAX_MATCHES + 1))
    except (OSError, ValueError):
        matches = []
    if len(matches) > MAX_MATCHES:
        return [unknown(source)]
    return [Arg(m, m) for m in matches] or [Arg(word.text, source)]
