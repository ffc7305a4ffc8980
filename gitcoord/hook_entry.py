"""Kept so that hook shims installed by gitcoord 0.2 and earlier, which exec
`from gitcoord.hook_entry import console_main`, keep working after an upgrade.
`gitcoord hooks install` rewrites them to call gitcoord.hooks.entry directly."""

from gitcoord.hooks.entry import console_main, main

__all__ = ["console_main", "main"]
