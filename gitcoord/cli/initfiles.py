"""The files `gitcoord init` writes: gitcoord.toml with commented defaults, and RULES.md.

tomli-w writes the values; the explanations around them are ours (TOML writers do not keep
comments). The result is parsed back with `parse_config` before it is written, so `init`
can never write a config that gitcoord then rejects.
"""

from __future__ import annotations

import json
import textwrap
from importlib import resources
from typing import Any

import tomli_w

from gitcoord.cli.install_source import EXAMPLE, InstallSource
from gitcoord.core.config import parse_config

_SECTIONS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "remote",
        "Where claims live. `url` names a separate coordination remote instead of `name`;\n"
        "`base` is the branch deploys come from (default: the remote's HEAD), e.g.\n"
        'base = "main". timeout: how long a fetch or push may take before the command exits 3.',
        {"name": "origin", "timeout": "30s"},
    ),
    (
        "claims",
        "ttl: default lease; max_ttl: the longest --ttl. clock_skew: others count a claim as\n"
        "expired only after expires_at + clock_skew. max_age: the oldest claims snapshot the\n"
        "pre-commit hook uses. require: paths whose changes need a claim of mine, e.g.\n"
        '["migrations/"]. offline: "fail-closed" (exit 3 when the remote is unreachable) or\n'
        '"fail-open". allow_break: whether `git claim --break` may break others\' claims.\n'
        "publish_location: record host and working-tree path in claims (others read them).\n"
        "auto: an agent's first edit of a free path claims it (the edit-time guard).\n"
        "promote_after: a writer waiting (git claim --wait) this long holds off new read and\n"
        "intent claims on its paths until it is granted.",
        {
            "ttl": "1h",
            "max_ttl": "3d",
            "clock_skew": "5s",
            "max_age": "30s",
            "require": [],
            "offline": "fail-closed",
            "allow_break": True,
            "publish_location": True,
            "auto": False,
            "promote_after": "2m",
        },
    ),
    (
        "rules",
        "The team's rules; each agent acknowledges them: gitcoord rules --ack\n"
        "exempt: commit authors (name or e-mail, e.g. dependabot[bot]) CI asks no trailers of.",
        {"file": "RULES.md", "exempt": []},
    ),
    (
        "checks",
        "Each check's rollout mode: off | monitor (record silently) | warn (print, allow)\n"
        "| enforce (refuse). fresh: claiming a path the base changed after HEAD's merge base.",
        {
            "claims": "enforce",
            "rules": "enforce",
            "guards": "enforce",
            "roles": "enforce",
            "sync": "enforce",
            "fresh": "warn",
        },
    ),
    (
        "sync",
        "Pushes to these branches may never drop commits the remote has.\n"
        "max_behind: how far behind the base `gitcoord ci` lets a branch be.\n"
        "deploy: branches a push may move only to a commit that contains the base tip.",
        {"protected": ["main", "release/*"], "max_behind": 0, "deploy": []},
    ),
    (
        "tasks",
        "The task queue (gitcoord task, gitcoord worker run). ttl: a running task's lease,\n"
        "renewed by its heartbeats (at most [claims] max_ttl). max_attempts: expired leases\n"
        "(and fail --retry) before a task fails for good. Kinds and pools: next.",
        {"ttl": "30m", "max_attempts": 3},
    ),
]

_TAIL = """
# A task kind: `task add --kind review` must name a declared kind; its input (at add) and
# result (at done) must match these JSON Schema files, committed beside this file. Both are
# optional: [tasks.kinds.review] alone declares a kind without a contract.
# [tasks.kinds.review]
# input = "schemas/review-in.json"
# result = "schemas/review-out.json"

# A pool bounds its running tasks across every machine: `task add --pool gpu`, then
# `task take --pool gpu` (or `worker run --pool gpu`) runs at most `slots` (1 to 1000) at once.
# [pools.gpu]
# slots = 2

# Guarded paths (gitignore-style patterns), tier block | approve | warn. gitcoord.toml, the
# rules file and the hook configuration are `approve` unless a guard here says otherwise.
# [[guard]]
# paths = ["secrets/**", "*.pem"]
# tier = "block"
# why = "credentials never pass through agents"
# read = "deny"   # allow (default) | ask | deny: an agent's read of these paths

# Roles limit where an agent writes; an agent's role comes from [agents] or GITCOORD_ROLE.
# [roles.tests]
# write = ["tests/**"]
#
# [agents]
# "test-agent-1" = "tests"
"""


def render_config() -> str:
    parts = [
        "# gitcoord configuration: every key has a default; the comments say what each does\n"
        '# (README, "Configuration", lists them all).\n'
    ]
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

# In each CI template: the comment above the install line, and the line init fills in.
INSTALL_COMMENT = "# What pip installs:"
INSTALL_PLACEHOLDER = 'GITCOORD_INSTALL: "<set by gitcoord init>"'
# What the job installs when the source is unknown: no requirement pip accepts, so an
# unedited job fails at the install step instead of installing a stranger's "gitcoord".
UNKNOWN_INSTALL = "EDIT ME: where CI installs gitcoord from"


def ci_template(host: str, source: InstallSource) -> tuple[str, str]:
    """The file `init --ci HOST` writes (relative to the top level) and its content, which
    installs `source`; a warning becomes a comment marking the line to edit."""
    dest, name = CI_FILES[host]
    text = (resources.files("gitcoord") / "templates" / "ci" / name).read_text(encoding="utf-8")
    out = []
    for line in text.splitlines(keepends=True):
        if line.strip() != INSTALL_PLACEHOLDER:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        if source.warning:
            # The example requirement stays on one line: its spaces become no-break spaces,
            # which textwrap does not split at.
            text = source.warning.replace(EXAMPLE, EXAMPLE.replace(" ", "\xa0"))
            wrapped = textwrap.wrap(
                f"EDIT the next line: {text}.",
                width=92 - len(indent),
                break_long_words=False,
                break_on_hyphens=False,
            )
            out.extend(f"{indent}# {part.replace(chr(0xA0), ' ')}\n" for part in wrapped)
        value = json.dumps(source.requirement or UNKNOWN_INSTALL)  # a YAML double-quoted string
        out.append(f"{indent}GITCOORD_INSTALL: {value}\n")
    return dest, "".join(out)


def without_install(text: str) -> list[str]:
    """A CI job's lines without its install blocks (each comment down to GITCOORD_INSTALL;
    the sweep job has its own): two jobs that differ only there differ only in what the
    user was told to edit."""
    lines = text.splitlines()
    while True:
        start = next((i for i, line in enumerate(lines) if INSTALL_COMMENT in line), None)
        if start is None:
            return lines
        end = next(
            (
                i
                for i in range(start, len(lines))
                if lines[i].lstrip().startswith("GITCOORD_INSTALL:")
            ),
            None,
        )
        if end is None:
            return lines
        lines = lines[:start] + lines[end + 1 :]
