"""The files `gitcoord init` writes: gitcoord.toml with commented defaults, and RULES.md.

tomli-w writes the values; the explanations around them are ours (TOML writers do not keep
comments). The result is parsed back with `parse_config` before it is written, so `init`
can never write a config that gitcoord then rejects.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import tomli_w

from gitcoord.core.config import parse_config

_SECTIONS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "remote",
        "Where claims live. `url` names a separate coordination remote instead of `name`;\n"
        '`base` is the branch deploys come from (default: the remote\'s HEAD), e.g. base = "main".',
        {"name": "origin"},
    ),
    (
        "claims",
        "ttl: default lease. clock_skew: others count a claim as expired only after\n"
        "expires_at + clock_skew. max_age: the oldest claims snapshot the pre-commit hook uses.\n"
        'require: paths whose changes need a claim of mine, e.g. ["migrations/"].\n'
        'offline: "fail-closed" (exit 3 when the remote is unreachable) or "fail-open".',
        {
            "ttl": "1h",
            "clock_skew": "5s",
            "max_age": "30s",
            "require": [],
            "offline": "fail-closed",
        },
    ),
    (
        "rules",
        "The team's rules; each agent acknowledges them: gitcoord rules --ack",
        {"file": "RULES.md"},
    ),
    (
        "checks",
        "Each check's rollout mode: off | monitor (record silently) | warn (print, allow)\n"
        "| enforce (refuse).",
        {
            "claims": "enforce",
            "rules": "enforce",
            "guards": "enforce",
            "roles": "enforce",
            "sync": "enforce",
        },
    ),
    (
        "sync",
        "Pushes to these branches may never drop commits the remote has.\n"
        "max_behind: how far behind the base `gitcoord ci` lets a branch be.",
        {"protected": ["main", "release/*"], "max_behind": 0},
    ),
]

_TAIL = """
# Guarded paths (gitignore-style patterns), tier block | approve | warn. gitcoord.toml, the
# rules file and the hook configuration are `approve` unless a guard here says otherwise.
# [[guard]]
# paths = ["secrets/**", "*.pem"]
# tier = "block"
# why = "credentials never pass through agents"

# Roles limit where an agent writes; an agent's role comes from [agents] or GITCOORD_ROLE.
# [roles.tests]
# write = ["tests/**"]
#
# [agents]
# "test-agent-1" = "tests"
"""


def render_config() -> str:
    parts = ["# gitcoord configuration: every key has a default; see `gitcoord --help`.\n"]
    for table, comment, values in _SECTIONS:
        parts.append("\n" + "".join(f"# {line}\n" for line in comment.splitlines()))
        parts.append(tomli_w.dumps({table: values}))
    text = "".join(parts) + _TAIL
    parse_config(text)  # never write what the loader would refuse
    return text


def rules_template() -> str:
    return (resources.files("gitcoord") / "templates" / "RULES.md").read_text(encoding="utf-8")


# `gitcoord init --ci HOST`: where each host's job goes, and its template.
CI_FILES = {
    "github": (".github/workflows/gitcoord.yml", "github.yml"),
    "gitlab": (".gitlab-ci.gitcoord.yml", "gitlab.yml"),
}


def ci_template(host: str) -> tuple[str, str]:
    """The file `init --ci HOST` writes (relative to the top level) and its content."""
    dest, name = CI_FILES[host]
    text = (resources.files("gitcoord") / "templates" / "ci" / name).read_text(encoding="utf-8")
    return dest, text
