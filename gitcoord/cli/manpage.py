"""`man git-claim`, the page `git claim --help` shows (git runs `man git-claim`), rendered
from what `git claim -h` says (claim_help, claim_options, core/errors' exit codes).

tools/gen_manpage.py writes it to share/man/man1/git-claim.1, which pyproject.toml installs
as data-files (`<prefix>/share/man/man1`, where man looks for a `<prefix>/bin` on PATH);
tests/test_cli_surface.py fails when the shipped page differs from this rendering.
"""

from __future__ import annotations

from gitcoord.cli.claim_help import DESCRIPTION, EXAMPLES, SUMMARY
from gitcoord.cli.claim_options import OPTIONS, PATHS_HELP, PATHS_METAVAR
from gitcoord.core.errors import EXIT_MEANINGS

PAGE = "share/man/man1/git-claim.1"


def _roff(text: str) -> str:
    """Text as roff: backslashes and hyphens escaped, no line read as a request."""
    escaped = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(
        "\\&" + line if line.startswith((".", "'")) else line for line in escaped.split("\n")
    )


def _term(text: str) -> str:
    return f"\\fB{_roff(text)}\\fR"


def render() -> str:
    lines = [
        '.TH GIT\\-CLAIM 1 "" "gitcoord" "gitcoord manual"',
        ".SH NAME",
        f"git\\-claim \\- {_roff(SUMMARY[:1].lower() + SUMMARY[1:].rstrip('.'))}",
        ".SH SYNOPSIS",
        f".B git claim\n[\\fIOPTIONS\\fR] [\\fI{PATHS_METAVAR}\\fR]...",
        ".SH DESCRIPTION",
    ]
    for paragraph in DESCRIPTION:
        lines += [_roff(paragraph), ".PP"]
    lines += [f"\\fI{PATHS_METAVAR}\\fR... are {_roff(PATHS_HELP[:1].lower() + PATHS_HELP[1:])}"]
    lines.append(".SH OPTIONS")
    for option in OPTIONS:
        names = ", ".join(_term(s) for s in sorted(option.spellings, key=len))
        if option.metavar:
            names += f" \\fI{_roff(option.metavar)}\\fR"
        default = f" (default: {_roff(option.default)})" if option.default else ""
        lines += [".TP", names, _roff(option.help) + default]
    lines += [".TP", f"{_term('-h')}, {_term('--help')}", "Show the help and exit."]
    lines.append(".SH EXAMPLES")
    for command, what in EXAMPLES:
        lines += [".TP", _term(command), _roff(what)]
    lines.append(".SH EXIT STATUS")
    for code, meaning in EXIT_MEANINGS.items():
        lines += [".TP", _term(str(int(code))), _roff(meaning)]
    lines += [
        ".SH SEE ALSO",
        "\\fBgitcoord\\fR(1) \\-h for the other commands (status, log, init, rules, approve, "
        "sync\\-check, ci, hooks, server); README.md and docs/design.md of gitcoord.",
    ]
    return "\n".join(lines) + "\n"
