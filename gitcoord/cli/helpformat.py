"""How help and usage errors read: plain metavars and gitcoord's own error style.

Typer 0.29 shows each parameter's Python type (`PATH... <list[str]>`, `<int range>`,
`{repository}`), cuts command summaries with "...", and passes pydantic's wording on
("Input should be greater than or equal to 1"). The command and group classes here render
help the way git's tools do (`[PATH]...`, `-n, --max-count N`), and `usage_error` turns
click's usage errors into gitcoord's `gitcoord: ...` form, exit 2, with the usage line and
the help command as the fix. main.py builds every command with these classes.
"""

from __future__ import annotations

from typing import Any

import typer
from typer import BadParameter
from typer._click import Context, HelpFormatter, Parameter
from typer._click.exceptions import MissingParameter
from typer._click.exceptions import UsageError as ClickUsageError
from typer.core import TyperArgument, TyperCommand, TyperGroup

from gitcoord.core.errors import UsageError


class CommandLineError(UsageError):
    """A usage error found while parsing: shown with the command's usage line."""

    def __init__(self, message: str, *, usage: str, fix: str) -> None:
        super().__init__(message, fix=fix)
        self.usage = usage

    def render(self) -> str:
        text, _, fix = super().render().partition("\n")
        return f"{text}\n  {self.usage}\n{fix}"


class PlainCommand(TyperCommand):
    def collect_usage_pieces(self, ctx: Context) -> list[str]:
        arguments = [p for p in self.get_params(ctx) if isinstance(p, TyperArgument)]
        return ["[OPTIONS]", *map(_usage_piece, arguments)]

    def format_options(self, ctx: Context, formatter: HelpFormatter) -> None:
        _write_params(self.get_params(ctx), formatter)


class PlainGroup(TyperGroup):
    def format_options(self, ctx: Context, formatter: HelpFormatter) -> None:
        _write_params(self.get_params(ctx), formatter)
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                # The whole summary: click would cut it at 45 characters with "...".
                summary = command.short_help or (command.help or "").partition("\n\n")[0]
                rows.append((name, " ".join(summary.split())))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def plain_group(help: str, short_help: str) -> typer.Typer:
    """A command group (`gitcoord hooks`, `server`, `task`) in this module's style: plain
    help, no completion, no rich markup, -h, help when called without a command."""
    return typer.Typer(
        cls=PlainGroup,
        help=help,
        short_help=short_help,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )


def _name(param: Parameter) -> str:
    if param.metavar:
        return param.metavar
    descriptor = getattr(param, "type_descriptor", None)
    choices = getattr(descriptor, "choices", None)
    if choices:
        return "|".join(str(getattr(c, "value", c)) for c in choices)
    if getattr(descriptor, "annotation", None) is int:
        return "N"
    return (param.name or "value").upper()


def _usage_piece(argument: Parameter) -> str:
    name = _name(argument)
    piece = name if argument.required else f"[{name}]"
    return piece + ("..." if argument.nargs != 1 else "")


def _option_names(option: Parameter) -> str:
    spellings = sorted(option.opts, key=lambda s: len(s) - len(s.lstrip("-")))
    names = ", ".join(spellings)
    if not getattr(option, "is_flag", False):
        names += f" {_name(option)}"
    return names


def _option_help(option: Parameter) -> str:
    extra = []
    default = option.default
    shown = getattr(option, "show_default", None) is not False
    shown = shown and not getattr(option, "is_flag", False)
    if shown and default not in (None, "", (), []) and not callable(default):
        extra.append(f"default: {getattr(default, 'value', default)}")
    low, high = getattr(option, "min", None), getattr(option, "max", None)
    if low is not None:
        extra.append(f"at least {low}" if high is None else f"{low} to {high}")
    elif high is not None:
        extra.append(f"at most {high}")
    help_text = getattr(option, "help", None) or ""
    return f"{help_text}  [{'; '.join(extra)}]" if extra else help_text


def _write_params(params: list[Parameter], formatter: HelpFormatter) -> None:
    arguments, options = [], []
    for p in params:
        if getattr(p, "hidden", False):
            continue
        if isinstance(p, TyperArgument):
            name = _name(p) + ("..." if p.nargs != 1 else "")
            arguments.append((name, p.help or ""))
        else:
            options.append((_option_names(p), _option_help(p)))
    for title, rows in (("Arguments", arguments), ("Options", options)):
        if rows:
            with formatter.section(title):
                formatter.write_dl(rows)


def usage_error(exc: ClickUsageError, fallback: Context) -> CommandLineError:
    """click's usage error in gitcoord's words: `gitcoord: <what>`, the usage line, and the
    help command as the fix. `fallback` is the command's context when click gives none (an
    option missing its value is found before the command's context exists)."""
    ctx = exc.ctx or fallback
    usage = ctx.get_usage()
    if isinstance(exc, BadParameter) and not isinstance(exc, MissingParameter) and exc.param:
        message = _bad_value(exc, exc.param)
    else:
        message = _plain(exc.format_message())
    return CommandLineError(
        message, usage=usage[:1].lower() + usage[1:], fix=f"{ctx.command_path} -h"
    )


def _bad_value(exc: BadParameter, param: Parameter) -> str:
    # An argument by its name, an option by its long spelling.
    what = _name(param) if isinstance(param, TyperArgument) else max(param.opts, key=len)
    # typer raises BadParameter from pydantic's ValidationError, whose errors() say why.
    errors: list[dict[str, Any]] = []
    read_errors = getattr(exc.__cause__, "errors", None)
    if callable(read_errors):
        errors = list(read_errors())
    if not errors:
        return f"invalid {what}: {_plain(exc.message)}"
    error = errors[0]
    return f"invalid {what} {error.get('input')!r}: {_reason(error, param)}"


def _reason(error: dict[str, Any], param: Parameter) -> str:
    """A pydantic validation error said plainly."""
    kind, limits = error.get("type", ""), error.get("ctx") or {}
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = next(iter(limits.values()), "?")
        word = {"greater_than_equal": "at least", "greater_than": "more than"}.get(
            kind, "at most" if kind == "less_than_equal" else "less than"
        )
        return f"must be {word} {bound}"
    if kind == "int_parsing":
        return "must be a whole number"
    descriptor = getattr(param, "type_descriptor", None)
    if getattr(descriptor, "choices", None):
        return f"choose one of {_name(param).replace('|', ', ')}"
    return _plain(str(error.get("msg", "invalid")).removeprefix("Value error, "))


def _plain(text: str) -> str:
    """click's sentence as gitcoord writes messages: lower-case start, no final period."""
    text = text.strip().rstrip(".")
    return text[:1].lower() + text[1:]
