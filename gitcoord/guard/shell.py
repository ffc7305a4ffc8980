"""The files a shell command writes, deletes and reads, found by parsing it with tree-sitter-bash.

The walk follows bash: `cd DIR` moves the rest of its list (a subshell, a pipeline's stages,
`$(...)`, `&` and `bash -c` keep theirs to themselves); each word is unquoted as bash would and
its glob expanded against the filesystem; redirections and the commands that shell_commands.py
knows give the targets. What cannot be known without running the command (a variable's value,
`$(...)`'s output, a cd to one of those, xargs' input, a branch switch) is never guessed: it is
described in `undetermined`. Commands that are not known give nothing but their redirections;
programs (`python -c`, `perl -e`, a script) are not looked into, except awk's output redirections
and `perl -i`/`sed -i`'s files. The git hooks remain the backstop for all of these.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, NamedTuple

from gitcoord.guard.shell_args import Arg, short
from gitcoord.guard.shell_run import Call, Found, run_command
from gitcoord.guard.shell_words import evaluate, expand, node_text, standard_input

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

MAX_DEPTH = 8  # nested `bash -c` / `eval` strings followed; deeper is undetermined
REDIRECT_WRITES = frozenset({">", ">>", ">|", "&>", "&>>", ">&", "<>"})
STATEMENTS = frozenset(
    {
        "command",
        "redirected_statement",
        "list",
        "pipeline",
        "subshell",
        "compound_statement",
        "negated_command",
        "if_statement",
        "case_statement",
        "while_statement",
        "for_statement",
        "c_style_for_statement",
        "function_definition",
        "ERROR",
    }
)


class ShellTargets(NamedTuple):
    writes: tuple[str, ...]  # absolute, normalised paths the command may create, change or delete
    deletes: tuple[str, ...]  # those of `writes` it deletes (rm, git rm, mv's sources, ...)
    reads: tuple[str, ...]  # absolute paths it reads (a directory: the files under it)
    undetermined: tuple[str, ...]  # short descriptions of targets that could not be determined
    # A syntax error anywhere (bash may still run the command, and all of it cannot be followed
    # here: `cat <<EOF > f` with no EOF writes f), or nesting too deep to follow.
    unparsed: bool = False


def shell_targets(command: str, cwd: str, home: str | None = None) -> ShellTargets:
    """The targets of `command` run by bash in `cwd`; `home` is `~` (default: this process's)."""
    found = Found()
    if home is None:
        expanded = os.path.expanduser("~")
        home = None if expanded == "~" else expanded
    try:
        _Walker(found, home, 0).script(command, os.path.normpath(cwd))
    except RecursionError:
        found.note("the command is nested too deeply to follow")
        found.unparsed = True
    return ShellTargets(
        tuple(found.writes),
        tuple(found.deletes),
        tuple(found.reads),
        tuple(found.notes),
        found.unparsed,
    )


@functools.cache
def _parser() -> Parser:
    import tree_sitter_bash
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_bash.language()))


class _Walker:
    def __init__(self, found: Found, home: str | None, depth: int) -> None:
        self.found, self.home, self.depth = found, home, depth

    def script(self, text: str, cwd: str | None) -> str | None:
        """Walk `text` as bash code run in `cwd`; the working directory it leaves."""
        if self.depth > MAX_DEPTH:
            self.found.note(f"nested shell code: {short(text)}")
            self.found.unparsed = True
            return cwd
        root = _parser().parse(text.encode("utf-8", "surrogatepass")).root_node
        if root.has_error:  # an ERROR or MISSING node
            self.found.unparsed = True
            self.found.note(f"could not parse: {short(_first_error(root) or text)}")
        return self.sequence(root.children, cwd)

    def nested(self, text: str, cwd: str | None) -> str | None:
        return _Walker(self.found, self.home, self.depth + 1).script(text, cwd)

    def sequence(self, nodes: list[Node], cwd: str | None) -> str | None:
        for i, node in enumerate(nodes):
            if node.is_named:
                after = self.statement(node, cwd)
                background = i + 1 < len(nodes) and nodes[i + 1].type == "&"
                cwd = cwd if background else after
        return cwd

    def statement(self, node: Node, cwd: str | None, tail: tuple[Node, ...] = ()) -> str | None:
        """Walk one statement; `tail`: redirections the grammar hung on an enclosing list or
        pipeline, which bash gives to its last command."""
        kind = node.type
        if kind == "command":
            return self.command(node, cwd, tail)
        if kind == "redirected_statement":
            return self.redirected(node, cwd, tail)
        if kind == "list":
            return self.and_or(node, cwd, tail)
        if kind == "negated_command":
            return self.statement(node.named_children[0], cwd, tail)
        if kind == "pipeline":
            stages = node.named_children
            for at, stage in enumerate(stages):  # each stage runs in a subshell
                self.statement(stage, cwd, tail if at == len(stages) - 1 else ())
            return cwd
        self.redirects(tail, cwd)
        if kind in ("subshell", "function_definition"):  # a function: its body, once
            self.sequence(node.children, cwd)
        elif kind in ("compound_statement", "ERROR"):
            return self.sequence(node.children, cwd)
        elif kind == "if_statement":
            return self.branches(node, cwd)
        elif kind == "case_statement":
            items = [child for child in node.named_children if child.type == "case_item"]
            ends = [self.sequence(item.children, cwd) for item in items]
            self.substitutions(node.child_by_field_name("value"), cwd)
            return _same([cwd, *ends])
        elif kind in ("while_statement", "for_statement", "c_style_for_statement"):
            return self.loop(node, cwd)
        else:  # assignments, declarations, [[ ]] ...: only what their substitutions run
            self.substitutions(node, cwd)
        return cwd

    def redirected(self, node: Node, cwd: str | None, tail: tuple[Node, ...]) -> str | None:
        body = node.child_by_field_name("body")
        redirects = (*node.children_by_field_name("redirect"), *tail)
        if body is None:
            self.redirects(redirects, cwd)
            return cwd
        if body.type in ("command", "list", "pipeline", "negated_command", "redirected_statement"):
            return self.statement(body, cwd, redirects)
        self.redirects(redirects, cwd)  # a compound command's: opened before it runs
        return self.statement(body, cwd)

    def and_or(self, node: Node, cwd: str | None, tail: tuple[Node, ...]) -> str | None:
        """`A && B || C ...`, which the grammar nests to the left."""
        chain = []
        while node.type == "list" and node.named_children:
            operator = next((c.type for c in node.children if not c.is_named), "&&")
            chain.append((operator, node.named_children[-1]))
            node = node.named_children[0]
        start = cwd
        cwd = self.statement(node, cwd)
        for at, (operator, right) in enumerate(reversed(chain)):
            right_tail = tail if at == len(chain) - 1 else ()
            if operator != "||":  # A && B: B runs where A left it
                cwd = self.statement(right, cwd, right_tail)
                continue
            # A || B: B runs when A failed, perhaps half-way through a cd.
            after = self.statement(right, cwd if cwd == start else None, right_tail)
            if not (right.type == "command" and _command_name(right) in ("exit", "return")):
                cwd = _same([cwd, after])
        return cwd

    def branches(self, node: Node, cwd: str | None) -> str | None:
        condition, branch, ends, has_else = cwd, None, [], False
        for child in node.children:
            if child.type == "then":
                branch = condition
            elif child.type in ("elif_clause", "else_clause"):
                ends.append(self.sequence(child.children, condition))
                has_else = has_else or child.type == "else_clause"
            elif child.is_named and child.type != "comment":
                if branch is None:
                    condition = self.statement(child, condition)
                else:
                    branch = self.statement(child, branch)
        return _same([branch, *ends] + ([] if has_else else [condition]))

    def loop(self, node: Node, cwd: str | None) -> str | None:
        body = node.child_by_field_name("body")
        start = cwd
        for child in node.named_children:
            if child != body:
                start = self.statement(child, start)  # the condition, or the words looped over
        if body is None or self.sequence(body.children, start) == start:
            return start
        self.sequence(body.children, None)  # later rounds start where the last one left
        return None

    def substitutions(self, node: Node | None, cwd: str | None) -> None:
        """Walk the commands `$(...)`, backquotes and `<(...)` inside `node` (subshells)."""
        if node is None:
            return
        if node.type in ("command_substitution", "process_substitution"):
            self.sequence(node.children, cwd)
            return
        for child in node.children:
            if child.type in STATEMENTS:
                self.statement(child, cwd)
            else:
                self.substitutions(child, cwd)

    def command(self, node: Node, cwd: str | None, tail: tuple[Node, ...]) -> str | None:
        redirects = (*node.children_by_field_name("redirect"), *tail)
        words = node.children_by_field_name("argument")
        words += [extra for r in _file_redirects(redirects) for extra in _destinations(r)[1:]]
        for child in node.children:
            if child not in redirects:
                self.substitutions(child, cwd)
        self.redirects(redirects, cwd)
        name = node.child_by_field_name("name")
        if name is None:
            return cwd
        called = evaluate(name.named_children[0] if name.named_children else name, self.home)
        words.sort(key=lambda word: word.start_byte)
        argv = [arg for word in words for arg in expand(word, self.home, cwd)]
        stdin = standard_input(redirects, self.home)
        return run_command(self, Arg(called.text, node_text(name)), argv, cwd, stdin)

    def redirects(self, redirects: tuple[Node, ...], cwd: str | None) -> None:
        call = Call(self, cwd)
        for redirect in redirects:
            self.substitutions(redirect, cwd)  # $(...) in a file name or a here-document
        for redirect in _file_redirects(redirects):
            operator = next((c.type for c in redirect.children if not c.is_named), "")
            targets = _destinations(redirect)[:1]
            for target in (arg for t in targets for arg in expand(t, self.home, cwd)):
                if operator in (">&", "<&") and _descriptor(target.text):
                    continue  # 2>&1, >&2, <&0, >&-: a file descriptor, not a file
                if operator in REDIRECT_WRITES:
                    call.write(target)
                if operator in ("<", "<>"):
                    call.read(target)


def _descriptor(text: str | None) -> bool:
    return text is not None and (text.isdigit() or text == "-")


def _file_redirects(redirects: tuple[Node, ...]) -> list[Node]:
    """The `> FILE` redirections, including those the grammar nests in a here-document's."""
    found = []
    for redirect in redirects:
        if redirect.type == "file_redirect":
            found.append(redirect)
        elif redirect.type == "heredoc_redirect":
            found += _file_redirects(tuple(redirect.children_by_field_name("redirect")))
    return found


def _destinations(redirect: Node) -> list[Node]:
    """A redirection's file, then the command's arguments the grammar put after it
    (`echo > f hi` gives `hi` to echo)."""
    return redirect.children_by_field_name("destination")


def _command_name(node: Node) -> str | None:
    name = node.child_by_field_name("name")
    return None if name is None else node_text(name)


def _same(ends: list[str | None]) -> str | None:
    """The working directory after branches that ended in `ends`: known only if they agree."""
    return ends[0] if all(end == ends[0] for end in ends) else None


def _first_error(node: Node) -> str | None:
    if node.type == "ERROR" or node.is_missing:
        parent = node.parent if node.is_missing and node.parent else node
        return node_text(parent)
    for child in node.children:
        if child.has_error:
            return _first_error(child)
    return None
