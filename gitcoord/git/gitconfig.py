"""Reading and writing keys of one git config file (`git config --file`)."""

from __future__ import annotations

from pathlib import Path

from gitcoord.git.process import run_git


def config_entries(config_file: Path, regexp: str) -> list[tuple[str, str]]:
    """(key, value) of every entry whose key matches `regexp`, in file order; none when the
    file is missing or unreadable."""
    res = run_git(["config", "--file", str(config_file), "-z", "--get-regexp", regexp], check=False)
    entries = []
    for item in res.out.split("\0"):
        if item:
            key, _, value = item.partition("\n")
            entries.append((key, value))
    return entries


def set_value(config_file: Path, key: str, value: str) -> None:
    run_git(["config", "--file", str(config_file), key, value])


def add_value(config_file: Path, key: str, value: str) -> None:
    """One more value for a multi-valued key."""
    run_git(["config", "--file", str(config_file), "--add", key, value])


def unset_all(config_file: Path, key: str) -> None:
    """Remove every value of `key`; nothing to remove is not an error."""
    run_git(["config", "--file", str(config_file), "--unset-all", key], check=False)
