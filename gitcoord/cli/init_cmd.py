"""`gitcoord init`: gitcoord.toml, a starter RULES.md, the hooks and optionally a CI job;
safe to run again."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from gitcoord.cli.context import Context
from gitcoord.cli.initfiles import ci_template, render_config, rules_template
from gitcoord.core.config import CONFIG_FILE, load_config
from gitcoord.core.errors import Refused
from gitcoord.hooks.install import install


class CiHost(StrEnum):
    github = "github"
    gitlab = "gitlab"


def write_ci(toplevel: Path, host: str, force: bool) -> str:
    """Write the CI job; an identical file is left alone, a modified one only with --force."""
    rel, text = ci_template(host)
    path = toplevel / rel
    if path.exists():
        if path.read_text(encoding="utf-8") == text:
            return f"{rel}: unchanged"
        if not force:
            raise Refused(
                f"{rel} differs from gitcoord's {host} template; not overwriting your changes",
                fix=f"gitcoord init --ci {host} --force   (after saving what you changed)",
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    verb = "overwritten" if path.exists() else "written"
    path.write_text(text, encoding="utf-8")
    if host == "gitlab":
        return f"{rel}: {verb}; include it from .gitlab-ci.yml:  include: [{{local: {rel}}}]"
    return f"{rel}: {verb}"


def init_command(
    ci: Annotated[
        CiHost | None, typer.Option("--ci", help="Also write a CI job running `gitcoord ci`.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite a modified CI job file.")
    ] = False,
) -> None:
    """Write gitcoord.toml (commented defaults) and RULES.md if missing, and install the hooks;
    with --ci github|gitlab, also the CI job (.github/workflows/gitcoord.yml or
    .gitlab-ci.gitcoord.yml).

    Existing files are kept, so running it twice changes nothing. Commit the files
    afterwards; they are approve-tier, so a human runs `gitcoord approve` first.

    \b
    Examples:
      gitcoord init && gitcoord approve && git commit -m "Adopt gitcoord"
      gitcoord init --ci github
    """
    repo = Context.here().repo
    config_path = repo.toplevel / CONFIG_FILE
    if config_path.exists():
        print(f"{CONFIG_FILE}: kept (already exists)")
    else:
        config_path.write_text(render_config(), encoding="utf-8")
        print(f"{CONFIG_FILE}: written with commented defaults")
    config = load_config(repo.toplevel)  # a broken existing config stops here, naming the line
    rules_path = repo.toplevel / config.rules_file
    if rules_path.exists():
        print(f"{config.rules_file}: kept (already exists)")
    else:
        rules_path.parent.mkdir(parents=True, exist_ok=True)
        rules_path.write_text(rules_template(), encoding="utf-8")
        print(f"{config.rules_file}: written from the starter template; add your team's rules")
    for action in install(repo.toplevel):
        print(f"hook {action}")
    if ci is not None:
        print(write_ci(repo.toplevel, ci.value, force))
