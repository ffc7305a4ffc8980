"""Claude Code's extras: a gitcoord skill, and a CLAUDE.md that imports AGENTS.md.

Skill format (a SKILL.md with `name` and `description` front matter in
`.claude/skills/NAME/`): https://code.claude.com/docs/en/skills ; imports in CLAUDE.md
(`@path`): https://code.claude.com/docs/en/memory . An existing CLAUDE.md is the team's and
is left alone (install says how to import AGENTS.md into it). Both files are recognised as
gitcoord's by their content, so uninstall never removes one a person wrote.
"""

from __future__ import annotations

from importlib import resources

from gitcoord.guard.install_record import FILE
from gitcoord.guard.install_specs import Change

SKILL = ".claude/skills/gitcoord/SKILL.md"
CLAUDE_MD = "CLAUDE.md"
IMPORT = "@AGENTS.md"
CLAUDE_MD_TEXT = (
    "<!-- Written by `gitcoord hooks install --harness claude`: Claude Code reads AGENTS.md"
    " through the import below. -->\n" + IMPORT + "\n"
)
_SKILL_HEAD = "---\nname: gitcoord\n"


def skill_text() -> str:
    path = resources.files("gitcoord") / "templates" / "agents" / "SKILL.md"
    return path.read_text(encoding="utf-8")


def install_skill(text: str | None) -> Change:
    new = skill_text()
    if text is None:
        return Change(SKILL, "created", new, parts=frozenset({FILE}))
    return Change(SKILL, "unchanged" if text == new else "updated", None if text == new else new)


def uninstall_skill(text: str | None) -> Change:
    if text is None:
        return Change(SKILL, "not installed")
    if not text.startswith(_SKILL_HEAD):
        return Change(SKILL, "kept: not gitcoord's skill")
    return Change(SKILL, "removed", delete=True)


def install_claude_md(text: str | None) -> Change:
    if text is None:
        return Change(CLAUDE_MD, "created", CLAUDE_MD_TEXT, parts=frozenset({FILE}))
    if text == CLAUDE_MD_TEXT:
        return Change(CLAUDE_MD, "unchanged")
    if any(line.strip() == IMPORT for line in text.splitlines()):
        return Change(CLAUDE_MD, "kept: it exists and already imports AGENTS.md")
    return Change(
        CLAUDE_MD, f"kept: it exists; add a line {IMPORT} to it so Claude Code reads the protocol"
    )


def uninstall_claude_md(text: str | None) -> Change:
    if text is None:
        return Change(CLAUDE_MD, "not installed")
    if text != CLAUDE_MD_TEXT:
        return Change(CLAUDE_MD, "kept: not written by gitcoord")
    return Change(CLAUDE_MD, "removed", delete=True)
