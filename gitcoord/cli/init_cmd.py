"""`gitcoord init`: gitcoord.toml, a starter RULES.md and the hooks; safe to run again."""

from __future__ import annotations

from gitcoord.cli.context import Context
from gitcoord.config import CONFIG_FILE, load_config
from gitcoord.hookinstall import install
from gitcoord.initfiles import render_config, rules_template


def init_command() -> None:
    """Write gitcoord.toml (commented defaults) and RULES.md if missing, and install the hooks.

    Existing files are kept, so running it twice changes nothing. Commit the two files
    afterwards; they are approve-tier, so a human runs `gitcoord approve` first.

    \b
    Example:
      gitcoord init && gitcoord approve && git commit -m "Adopt gitcoord"
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
