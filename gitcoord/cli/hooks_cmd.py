"""`gitcoord hooks install|uninstall`: the native git hook shims, or with --harness the
edit-time guard's hooks in agent harnesses (guard/install.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from gitcoord.cli.context import Context, emit_json
from gitcoord.cli.helpformat import PlainCommand, plain_group
from gitcoord.guard import install as harness_install
from gitcoord.guard.harnesses import HARNESSES
from gitcoord.hooks.install import Action, hooks_dir, install, uninstall

hooks_app = plain_group(
    """Install or remove gitcoord's git hooks (pre-commit, pre-push, commit-msg), or
with --harness the edit-time guard's hooks in an agent harness's project config.

\b
Examples:
  gitcoord hooks install
  gitcoord hooks install --harness claude --harness codex
""",
    "Install or remove gitcoord's git hooks in this clone.",
)

Json = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
Harness = Annotated[
    list[str] | None,
    typer.Option(
        "--harness",
        help=f"An agent harness ({', '.join(HARNESSES)}, or all); repeatable. Only the "
        "harness's files, not the git hooks.",
        metavar="NAME",
    ),
]


def _report(directory: Path, actions: list[Action], as_json: bool) -> None:
    if as_json:
        emit_json(
            {
                "hooks_dir": str(directory),
                "hooks": [
                    {"hook": a.hook, "path": str(directory / a.hook), "action": a.what}
                    for a in actions
                ],
            }
        )
        return
    print(f"hooks directory: {directory}")
    for action in actions:
        print(f"hook {action}")


_PATH_NOTE = (
    "note: each hook runs `gitcoord guard --harness NAME`: gitcoord must be on the agent's "
    "PATH (without it the edit-time guard is off; the git hooks still hold). Commit the files."
)


def _run(
    names: list[str] | None,
    as_json: bool,
    harness_step: Callable[[Path, Path, list[str]], harness_install.Planned],
    git_step: Callable[[Path], list[Action]],
    note: str = "",
) -> None:
    """The git hooks, or with --harness only the harnesses' files."""
    repo = Context.here().repo
    top = repo.toplevel
    if not names:
        _report(hooks_dir(top), git_step(top), as_json)
        return
    planned = harness_step(top, repo.state_dir, names)
    if as_json:
        files = [{"path": c.path, "harness": h, "action": c.action} for h, c in planned]
        harnesses = harness_install.harness_names(names)
        emit_json({"toplevel": str(top), "harnesses": harnesses, "files": files})
        return
    for harness, change in planned:
        print(f"{change.path}{f' ({harness})' if harness else ''}: {change.action}")
    if note:
        print(note)


@hooks_app.command("install", cls=PlainCommand, short_help="Install the hook shims in this clone.")
def install_command(harness: Harness = None, as_json: Json = False) -> None:
    """Install the hook shims (honours core.hooksPath; an existing hook is kept and chained).

    With --harness NAME (repeatable; `all` is all six): only the agent harness's part, the
    edit-time guard. gitcoord's hook entries are merged into the harness's project config
    (claude: .claude/settings.json, gemini: .gemini/settings.json, cursor:
    .cursor/hooks.json, codex: .codex/hooks.json, copilot: .github/hooks/gitcoord.json,
    windsurf: .windsurf/hooks.json), leaving everything else in it alone; a managed block in
    AGENTS.md teaches the protocol; for claude also .claude/skills/gitcoord/SKILL.md and a
    CLAUDE.md importing AGENTS.md (an existing CLAUDE.md is left alone). Installing again
    adds nothing. Each entry runs `gitcoord guard --harness NAME`, so gitcoord must be on
    the agent's PATH: without it the edit-time layer is off, and the git hooks still hold.
    Commit the files: they are approve-tier, so changing them later needs a human.

    \b
    Examples:
      gitcoord hooks install
      gitcoord hooks install --json
      gitcoord hooks install --harness claude
      gitcoord hooks install --harness all --json
    """
    _run(harness, as_json, harness_install.install, install, _PATH_NOTE)


@hooks_app.command(
    "uninstall", cls=PlainCommand, short_help="Remove the hook shims, restoring chained hooks."
)
def uninstall_command(harness: Harness = None, as_json: Json = False) -> None:
    """Remove gitcoord's hook shims and restore any hook they chained.

    With --harness NAME (repeatable; `all`): only the harness's part. Exactly gitcoord's
    entries leave the harness's config; a key or file goes only when gitcoord created it and
    nothing else is left. The AGENTS.md block goes once no harness uses it; the skill and a
    CLAUDE.md gitcoord wrote go with claude.

    \b
    Examples:
      gitcoord hooks uninstall
      gitcoord hooks uninstall --harness cursor
    """
    _run(harness, as_json, harness_install.uninstall, uninstall)
