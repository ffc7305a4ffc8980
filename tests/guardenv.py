"""Driving an agent harness's hooks as the harness does: recorded payloads (tests/payloads)
made to name a real clone's files, and the command read back from the config that
`gitcoord hooks install --harness NAME` wrote, run through `sh -c` in the clone.

The config files, their layout and the way each harness picks the hooks it runs for an
event and tool come from each harness's documentation (the links are in
gitcoord/guard/install_specs.py), not from gitcoord's code: a wrong file, event, matcher or
command key makes the lookup fail.
"""

from __future__ import annotations

import json
import posixpath
import re
import subprocess
from pathlib import Path
from typing import Any

from tests.gitenv import Agent

PAYLOADS = Path(__file__).parent / "payloads"
# What the recorded payloads name: the project, its files, and the shell commands.
FIXTURE_ROOT = "/home/dev/project"
FIXTURE_FILES = ("src/app.py", "src/new.py", "src/old.py", ".env", "vendor")  # vendor: a dir
FIXTURE_COMMANDS = ("echo done > src/app.py", "echo done > app.py", "cat .env")

CONFIGS = {
    "claude": ".claude/settings.json",
    "gemini": ".gemini/settings.json",
    "cursor": ".cursor/hooks.json",
    "codex": ".codex/hooks.json",
    "copilot": ".github/hooks/gitcoord.json",
    "windsurf": ".windsurf/hooks.json",
}
GROUPED = ("claude", "gemini", "codex")  # EVENT: [{"matcher", "hooks": [hook, ...]}]
COMMAND_KEY = {"copilot": "bash"}  # the hook's field holding the command (else "command")


def fixture(harness: str, name: str) -> dict[str, Any]:
    data = json.loads((PAYLOADS / harness / f"{name}.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def templated(
    harness: str, name: str, root: Path, *, file: str | None = None, command: str | None = None
) -> dict[str, Any]:
    """The recorded payload `harness/name`, its project made `root`, the file it names made
    `file` and its shell command `command`; everything else (keys, nesting, a JSON object
    carried in a string) as recorded. Each replacement asked for must happen."""
    done: set[str] = set()

    def sub(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: sub(item) for key, item in value.items()}
        if isinstance(value, list):
            return [sub(item) for item in value]
        if not isinstance(value, str):
            return value
        if value.startswith("{"):  # Copilot's toolArgs: a JSON object in a string
            return json.dumps(sub(json.loads(value)))
        if command is not None and value in FIXTURE_COMMANDS:
            done.add("command")
            return command
        text = value
        if FIXTURE_ROOT in text:
            done.add("root")
            text = text.replace(FIXTURE_ROOT, str(root))
        for old in FIXTURE_FILES:
            if file is not None and old in text:
                done.add("file")
                text = text.replace(old, file)
        return text

    out = sub(fixture(harness, name))
    wanted = {"root"} | ({"file"} if file is not None else set())
    wanted |= {"command"} if command is not None else set()
    assert done == wanted, f"{harness}/{name}.json: replaced {sorted(done)}, not {sorted(wanted)}"
    assert isinstance(out, dict)
    return out


def without_a_path(payload: dict[str, Any], file: str) -> dict[str, Any]:
    """`payload` with each string naming `file` (a path, a patch) made a number."""

    def sub(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: sub(item) for key, item in value.items()}
        if isinstance(value, str) and value.startswith("{"):
            return json.dumps(sub(json.loads(value)))
        return 42 if isinstance(value, str) and file in value else value

    out = sub(payload)
    assert out != payload
    assert isinstance(out, dict)
    return out


def relative(command: str, run_dir: str) -> str:
    """`command` with each {path} (from the top level) written relative to `run_dir`."""
    return re.sub(r"\{([^}]+)\}", lambda m: posixpath.relpath(m[1], run_dir or "."), command)


def routed(harness: str, payload: dict[str, Any]) -> tuple[str, str | None]:
    """The event the harness fires for `payload` and the name its matchers are tested
    against (the tool; None for an event without one)."""
    if harness == "windsurf":
        return payload["agent_action_name"], None
    if harness == "copilot":  # its camelCase payloads name no event
        return (
            ("preToolUse", payload["toolName"])
            if "toolName" in payload
            else (
                "sessionStart",
                None,
            )
        )
    return payload["hook_event_name"], payload.get("tool_name")


def installed_commands(agent: Agent, harness: str, payload: dict[str, Any]) -> list[str]:
    """The commands the installed config runs for `payload`: its event's entries whose
    matcher (a regular expression over the tool name) takes the tool, or that have none."""
    config = json.loads((agent.path / CONFIGS[harness]).read_text(encoding="utf-8"))
    event, tool = routed(harness, payload)
    key = COMMAND_KEY.get(harness, "command")
    out = []
    for entry in config["hooks"].get(event, []):
        matcher = entry.get("matcher")
        if matcher and (tool is None or not re.fullmatch(matcher, tool)):
            continue
        hooks = entry["hooks"] if harness in GROUPED else [entry]
        out += [hook[key] for hook in hooks if hook.get("type", "command") == "command"]
    return out


def run_hook(
    agent: Agent, harness: str, payload: dict[str, Any] | str, **env: str
) -> subprocess.CompletedProcess[str]:
    """Fire the hook for `payload` as the harness would: the one command the installed
    config runs for it, through `sh -c` in the clone, the payload on stdin (a str as is)."""
    event = payload if isinstance(payload, dict) else fixture(harness, "write")
    commands = installed_commands(agent, harness, event)
    assert len(commands) == 1, f"{harness} runs {commands} for {routed(harness, event)}"
    return subprocess.run(
        ["sh", "-c", commands[0]],
        cwd=agent.path,
        env={**agent.environ(), **env},
        input=payload if isinstance(payload, str) else json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
    )
