"""The managed block in AGENTS.md that teaches an agent gitcoord's protocol.

The block lies between BEGIN and END marker lines; the rest of the file is the team's and is
never changed. Installing appends the block (after a blank line) or replaces it where it is;
uninstalling removes it and the blank line it brought, and the file only when gitcoord
created it and nothing else is left. Codex, Cursor, Copilot and Windsurf read AGENTS.md
themselves; Claude Code reads it through CLAUDE.md's `@AGENTS.md` (install_claude.py).
"""

from __future__ import annotations

from importlib import resources

from gitcoord.core.errors import UsageError
from gitcoord.guard.install_record import FILE
from gitcoord.guard.install_specs import Change

AGENTS_MD = "AGENTS.md"
BEGIN = "<!-- gitcoord:begin -->"
END = "<!-- gitcoord:end -->"


def block() -> str:
    body = (resources.files("gitcoord") / "templates" / "agents" / "AGENTS-block.md").read_text(
        encoding="utf-8"
    )
    return f"{BEGIN}\n{body.rstrip()}\n{END}"


def span(text: str) -> tuple[int, int] | None:
    """Where the block is (from BEGIN to END and its newline), None when there is none; a
    damaged block (one marker, or several) is refused rather than guessed at."""
    begins, ends = text.count(BEGIN), text.count(END)
    if (begins, ends) == (0, 0):
        return None
    start, end = text.find(BEGIN), text.find(END)
    if (begins, ends) != (1, 1) or end < start:
        raise UsageError(
            f"{AGENTS_MD} has a damaged gitcoord block ({begins} {BEGIN!r}, {ends} {END!r})",
            fix=f"leave one {BEGIN} ... {END} pair (or none) in {AGENTS_MD}, then retry",
        )
    end += len(END)
    return start, end + 1 if text.startswith("\n", end) else end


def with_block(text: str | None) -> str:
    """`text` with the current block: in place of the old one, else at the end."""
    ours = block() + "\n"
    if text is None or text == "":
        return ours
    where = span(text)
    if where is not None:
        return text[: where[0]] + ours + text[where[1] :]
    return text + ("\n" if text.endswith("\n") else "\n\n") + ours


def without_block(text: str) -> str | None:
    """`text` without the block and the blank line before it; None when it has no block."""
    where = span(text)
    if where is None:
        return None
    head, tail = text[: where[0]], text[where[1] :]
    if head.endswith("\n\n"):
        head = head[:-1]
    return head + tail


def install(text: str | None) -> Change:
    new = with_block(text)
    if text is None:
        return Change(AGENTS_MD, "created", new, parts=frozenset({FILE}))
    return Change(
        AGENTS_MD, "unchanged" if new == text else "updated", None if new == text else new
    )


def uninstall(text: str | None, created: set[str] | None, users: list[str]) -> Change:
    """`users`: the harnesses whose configs keep gitcoord's entries (they still need it)."""
    if text is None:
        return Change(AGENTS_MD, "not installed")
    rest = without_block(text)
    if rest is None:
        return Change(AGENTS_MD, "not installed")
    if users:
        return Change(AGENTS_MD, f"kept: still used by {', '.join(users)}")
    ours = FILE in created if created is not None else True
    if rest.strip() == "" and ours:
        return Change(AGENTS_MD, "removed", delete=True)
    return Change(AGENTS_MD, "block removed", rest)
