"""Commands that run another command (sudo, env, xargs, find -exec, ...) or shell code given as a
string (bash -c, eval): what that command or code writes and reads counts."""

from __future__ import annotations

from gitcoord.guard.shell_args import Arg, Handler, Sink, parse, read_existing, short, unknown

SUDO_NAMES = {
    "user=": "u",
    "group=": "g",
    "chdir=": "D",
    "close-from=": "C",
    "host=": "h",
    "prompt=": "p",
    "chroot=": "R",
    "role=": "r",
    "type=": "t",
    "command-timeout=": "T",
    "other-user=": "U",
    "edit": "e",
    "list": "l",
    "validate": "v",
}
ENV_NAMES = {"unset=": "u", "chdir=": "C", "split-string=": "S", "ignore-environment": "i"}
XARGS_NAMES = {
    "arg-file=": "a",
    "delimiter=": "d",
    "max-lines=": "L",
    "max-args=": "n",
    "max-procs=": "P",
    "max-chars=": "s",
    "process-slot-var=": "process-slot-var",
    "replace": "i",
}
SHELLS = ("bash", "sh", "zsh", "dash", "ksh")
SHELL_VALUED = ("--rcfile", "--init-file")
FIND_EXEC = ("-exec", "-execdir", "-ok", "-okdir")
FIND_WRITES = ("-fprint", "-fprint0", "-fprintf", "-fls")
XARGS_INPUT = "(xargs input)"


def _command(words: list[Arg]) -> list[Arg]:
    """The command after `NAME=VALUE` words (env, sudo)."""
    at = 0
    while at < len(words) and words[at].text is not None:
        name, eq, _ = (words[at].text or "").partition("=")
        if not (eq and name.isidentifier()) and words[at].text != "-":
            break
        at += 1
    return words[at:]


def _wrapper(valued: str = "", names: dict[str, str] | None = None, skip: int = 0) -> Handler:
    """A command that runs its first operand with the rest (after `skip` operands of its own)."""

    def handler(args: list[Arg], sink: Sink) -> None:
        sink.run(parse(args, valued, names, first_operand_ends=True).operands[skip:])

    return handler


def _sudo(args: list[Arg], sink: Sink) -> None:
    opts = parse(args, "ugCDhpRrtTU", SUDO_NAMES, first_operand_ends=True)
    if "e" in opts.flags:  # sudo -e / sudoedit: edits its operands
        _sudoedit(opts.operands, sink)
    elif not opts.flags & {"l", "v", "V"}:
        directory = opts.values.get("D")
        sink.run(_command(opts.operands), directory[-1] if directory else None)


def _sudoedit(args: list[Arg], sink: Sink) -> None:
    for file in parse(args, "ugCDhpRrtTU", SUDO_NAMES).operands:
        sink.write(file)


def _env(args: list[Arg], sink: Sink) -> None:
    opts = parse(args, "uCS", ENV_NAMES, first_operand_ends=True)
    if "S" in opts.values:
        sink.note("env -S: a command line in one string")
        return
    directory = opts.values.get("C")
    sink.run(_command(opts.operands), directory[-1] if directory else None)


def _time(args: list[Arg], sink: Sink) -> None:
    opts = parse(args, "fo", {"format=": "f", "output=": "o"}, first_operand_ends=True)
    for output in opts.values.get("o", []):
        sink.write(output)  # GNU time -o FILE
    sink.run(opts.operands)


def _command_builtin(args: list[Arg], sink: Sink) -> None:
    opts = parse(args, first_operand_ends=True)
    if not opts.flags & {"v", "V"}:  # command -v NAME only looks it up
        sink.run(opts.operands)


def _xargs(args: list[Arg], sink: Sink) -> None:
    """xargs runs its command with words read from its input: those are undetermined."""
    opts = parse(args, "aEdILnPs", XARGS_NAMES, first_operand_ends=True)
    for file in opts.values.get("a", []):
        sink.read(file)
    command = opts.operands or [Arg("echo", "echo")]
    given = opts.values.get("I") or opts.values.get("i")
    replace = given[-1].text if given else "{}" if "i" in opts.flags else None
    if replace:
        sink.run([unknown(a.source) if replace in (a.text or "") else a for a in command])
    else:
        sink.run([*command, unknown(XARGS_INPUT)])


def _shell(args: list[Arg], sink: Sink) -> None:
    """bash [options] -c STRING: STRING is walked as shell code; bash FILE is read, not looked
    into; with neither, the code on its input is walked when it is a here-document."""
    at, command, from_input = 0, False, False
    while at < len(args):
        text = args[at].text
        if text is None or text[:1] not in "-+" or text in ("-", "--"):
            break
        at += 1
        if text in SHELL_VALUED:
            at += 1
        elif not text.startswith("--"):
            command = command or "c" in text[1:]
            from_input = from_input or "s" in text[1:]  # -s: operands are $1, $2, ...
            at += text[1:].count("o") + text[1:].count("O")  # -o OPTION, -O SHOPT
    if at < len(args) and args[at].text in ("-", "--"):
        at += 1
    if command and at < len(args):
        sink.script(args[at], "sh -c")
        read_existing(args[:at] + args[at + 1 :], sink)  # $0, $1, ... for the code
        return
    if at < len(args) and not from_input:
        sink.read(args[at])  # the script: not looked into
    elif sink.stdin is not None:
        sink.script(sink.stdin, "sh")  # bash <<'EOF' ... EOF: the code is the here-document
    else:
        sink.note("sh: the code on its standard input")  # `... | bash`, `bash < FILE`
    read_existing(args, sink)


def _eval(args: list[Arg], sink: Sink) -> None:
    texts = [arg.text for arg in args]
    if any(text is None for text in texts):
        sink.note(f"eval {short(' '.join(arg.source for arg in args))}")
        return
    code = " ".join(text or "" for text in texts)
    sink.script(Arg(code, code), "eval", same_shell=True)


def _find(args: list[Arg], sink: Sink) -> None:
    at = 0
    while at < len(args):
        text = args[at].text
        at += 1
        if text == "-delete":
            sink.note("find -delete: the files it finds")
        elif text in FIND_EXEC:
            end = next((j for j in range(at, len(args)) if args[j].text in (";", "+")), len(args))
            argv = [unknown(a.source) if "{}" in (a.text or "") else a for a in args[at:end]]
            sink.run(argv, unknown(text) if text.endswith("dir") else None)
            at = end + 1
        elif text in FIND_WRITES and at < len(args):
            sink.write(args[at])
            at += 1


WRAPPERS: dict[str, Handler] = {
    "sudo": _sudo,
    "sudoedit": _sudoedit,
    "doas": _wrapper("uC"),
    "env": _env,
    "time": _time,
    "nice": _wrapper("n", {"adjustment=": "n"}),
    "nohup": _wrapper(),
    "setsid": _wrapper(),
    "builtin": _wrapper(),
    "exec": _wrapper("a"),
    "command": _command_builtin,
    "timeout": _wrapper("sk", {"signal=": "s", "kill-after=": "k"}, skip=1),
    "stdbuf": _wrapper("ioe", {"input=": "i", "output=": "o", "error=": "e"}),
    "ionice": _wrapper("cnp", {"class=": "c", "classdata=": "n", "pid=": "p"}),
    "xargs": _xargs,
    "find": _find,
    "eval": _eval,
    **dict.fromkeys(SHELLS, _shell),
}
