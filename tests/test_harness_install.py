"""`gitcoord hooks install|uninstall --harness`: the edit-time guard's entries in each agent
harness's project config, the AGENTS.md block, Claude Code's skill and CLAUDE.md; real files
in real clones, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.gitenv import Agent, clone, make_bare, seed
from tests.hookenv import Team, commit, make_team, run_as_human

CONFIGS = {
    "claude": ".claude/settings.json",
    "gemini": ".gemini/settings.json",
    "cursor": ".cursor/hooks.json",
    "codex": ".codex/hooks.json",
    "copilot": ".github/hooks/gitcoord.json",
    "windsurf": ".windsurf/hooks.json",
}
# What each config runs `gitcoord guard` on: (event, matcher or None).
EXPECTED = {
    "claude": [
        ("PreToolUse", "Write|Edit|MultiEdit|NotebookEdit"),
        ("PreToolUse", "Read|Grep"),
        ("PreToolUse", "Bash"),
        ("SessionStart", None),
    ],
    "gemini": [
        ("BeforeTool", "write_file|replace"),
        ("BeforeTool", "read_file|read_many_files|grep_search|search_file_content"),
        ("BeforeTool", "run_shell_command"),
        ("SessionStart", None),
    ],
    "cursor": [
        ("preToolUse", "Write|Edit|StrReplace|MultiEdit|EditNotebook|Delete|Grep"),
        ("beforeReadFile", None),
        ("beforeShellExecution", None),
        ("sessionStart", None),
    ],
    "codex": [("PreToolUse", "apply_patch"), ("PreToolUse", "Bash"), ("SessionStart", None)],
    "copilot": [("preToolUse", None), ("sessionStart", None)],
    "windsurf": [("pre_write_code", None), ("pre_read_code", None), ("pre_run_command", None)],
}
SKILL = ".claude/skills/gitcoord/SKILL.md"

# A team's own settings, as people write them: compact arrays, non-ASCII, their own hooks.
CLAUDE_SETTINGS = """{
  "permissions": {
    "allow": ["Bash(npm test)", "Read(docs/**)"]
  },
  "env": {"GREETING": "grüß dich"},
  "hooks": {
    "PreToolUse": [
      {
        "matcher": "Bash",
        "hooks": [
          {
            "type": "command",
            "command": "./scripts/audit.sh"
          }
        ]
      }
    ],
    "SessionStart": []
  }
}
"""
CURSOR_HOOKS = '{"version": 1, "hooks": {}}'  # compact, no final newline
AGENTS = "# Agents\n\nRun `make test` before you push.\n"
CLAUDE_MD = "# Project notes\n\nUse Python 3.11.\n"


@pytest.fixture
def agent(tmp_path: Path, env: dict[str, str]) -> Agent:
    bare = make_bare(tmp_path / "team.git", env)
    bob = clone(bare.as_uri(), tmp_path / "bob", "bob", env)
    seed(bob)
    return bob


def put(agent: Agent, rel: str, text: str) -> None:
    target = agent.path / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def read_json(agent: Agent, rel: str) -> Any:
    return json.loads((agent.path / rel).read_text(encoding="utf-8"))


def guarded(agent: Agent, harness: str) -> list[tuple[str, str | None]]:
    """(event, matcher) of every entry in the harness's config that runs the guard."""
    command = f"gitcoord guard --harness {harness}"
    out = []
    for event, items in read_json(agent, CONFIGS[harness])["hooks"].items():
        for item in items:
            hooks = item.get("hooks", [item])
            if any(command in (h.get("command"), h.get("bash")) for h in hooks):
                out.append((event, item.get("matcher")))
    return out


def files(agent: Agent) -> dict[str, bytes]:
    return {
        p.relative_to(agent.path).as_posix(): p.read_bytes()
        for p in sorted(agent.path.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(agent.path).parts
    }


def actions(agent: Agent, *args: str) -> dict[str, str]:
    res = agent.gitcoord("hooks", *args, "--json")
    assert res.rc == 0, res.err
    return {f["path"]: f["action"] for f in res.json()["files"]}


def test_round_trip_leaves_the_team_files_byte_identical(agent: Agent) -> None:
    for rel, text in (
        (CONFIGS["claude"], CLAUDE_SETTINGS),
        (CONFIGS["cursor"], CURSOR_HOOKS),
        ("AGENTS.md", AGENTS),
        ("CLAUDE.md", CLAUDE_MD),
    ):
        put(agent, rel, text)
    before = files(agent)

    done = actions(agent, "install", "--harness", "claude", "--harness", "cursor")
    assert done == {
        CONFIGS["claude"]: "updated",
        SKILL: "created",
        "CLAUDE.md": "kept: it exists; add a line @AGENTS.md to it so Claude Code reads the"
        " protocol",
        CONFIGS["cursor"]: "updated",
        "AGENTS.md": "updated",
    }
    assert guarded(agent, "claude") == EXPECTED["claude"]
    assert guarded(agent, "cursor") == EXPECTED["cursor"]
    settings = read_json(agent, CONFIGS["claude"])
    assert settings["permissions"] == {"allow": ["Bash(npm test)", "Read(docs/**)"]}
    assert settings["env"] == {"GREETING": "grüß dich"}
    assert settings["hooks"]["PreToolUse"][0]["hooks"][0]["command"] == "./scripts/audit.sh"
    text = (agent.path / CONFIGS["claude"]).read_text(encoding="utf-8")
    assert text.startswith(CLAUDE_SETTINGS[: CLAUDE_SETTINGS.index("      }\n    ],")])
    assert '"allow": ["Bash(npm test)", "Read(docs/**)"]' in text  # untouched layout
    agents = (agent.path / "AGENTS.md").read_text(encoding="utf-8")
    assert agents.startswith(AGENTS + "\n<!-- gitcoord:begin -->\n")
    assert agents.endswith("<!-- gitcoord:end -->\n")
    for line in ("git claim PATH -r", "git claim --wait 10m PATH", "git claim -d PATH"):
        assert line in agents
    assert "gitcoord rules --ack" in agents and "gitcoord sync-check -- " in agents
    assert (agent.path / "CLAUDE.md").read_text() == CLAUDE_MD
    assert (agent.path / SKILL).read_text().startswith("---\nname: gitcoord\ndescription: ")
    installed = files(agent)

    again = actions(agent, "install", "--harness", "cursor", "--harness", "claude")
    assert set(again.values()) == {"unchanged", done["CLAUDE.md"]}
    assert files(agent) == installed

    undone = actions(agent, "uninstall", "--harness", "all")
    assert undone[SKILL] == "removed" and undone["CLAUDE.md"] == "kept: not written by gitcoord"
    assert undone[CONFIGS["codex"]] == "not installed"
    assert files(agent) == before
    assert not (agent.path / ".claude" / "skills").exists()


def test_all_writes_six_configs_and_uninstall_removes_what_it_created(agent: Agent) -> None:
    res = agent.gitcoord("hooks", "install", "--harness", "all", "--json")
    assert res.rc == 0, res.err
    data = res.json()
    assert data["harnesses"] == list(CONFIGS)
    written = {f["path"]: (f["harness"], f["action"]) for f in data["files"]}
    for harness, rel in CONFIGS.items():
        assert written[rel] == (harness, "created")
        assert guarded(agent, harness) == EXPECTED[harness]
        assert (agent.path / rel).read_text().endswith("}\n")
    assert written["CLAUDE.md"] == ("claude", "created")
    assert (agent.path / "CLAUDE.md").read_text().endswith("\n@AGENTS.md\n")
    assert written["AGENTS.md"] == (None, "created")
    assert read_json(agent, CONFIGS["cursor"])["version"] == 1
    assert read_json(agent, CONFIGS["copilot"])["version"] == 1
    assert not (agent.path / ".git" / "hooks" / "pre-commit").exists()  # the harness part only

    # One harness goes: the protocol stays for the others.
    assert actions(agent, "uninstall", "--harness", "cursor") == {
        CONFIGS["cursor"]: "removed",
        "AGENTS.md": "kept: still used by claude, gemini, codex, copilot, windsurf",
    }
    assert not (agent.path / ".cursor").exists()
    actions(agent, "uninstall", "--harness", "all")
    assert set(files(agent)) == {"README.md", "docs/guide.md", "src/api.py", "src/db.py"}
    assert agent.git("status", "--porcelain", "--untracked-files=all") == ""


def test_reinstall_replaces_stale_entries_and_the_block(agent: Agent) -> None:
    stale = {
        "matcher": "Edit",
        "hooks": [{"type": "command", "command": "gitcoord guard --harness codex"}],
    }
    mixed = {"hooks": [{"type": "command", "command": "./log.sh"}, stale["hooks"][0]]}
    put(agent, CONFIGS["codex"], json.dumps({"hooks": {"PreToolUse": [stale, mixed]}}, indent=4))
    put(agent, "AGENTS.md", "<!-- gitcoord:begin -->\nold text\n<!-- gitcoord:end -->\n\n# Ours\n")

    assert actions(agent, "install", "--harness", "codex")[CONFIGS["codex"]] == "updated"
    pre = read_json(agent, CONFIGS["codex"])["hooks"]["PreToolUse"]
    assert pre[0] == {"hooks": [{"type": "command", "command": "./log.sh"}]}
    assert guarded(agent, "codex") == EXPECTED["codex"]
    assert (
        '\n    "hooks": {\n        "PreToolUse": [' in (agent.path / CONFIGS["codex"]).read_text()
    )
    agents = (agent.path / "AGENTS.md").read_text()
    assert "old text" not in agents and agents.endswith("<!-- gitcoord:end -->\n\n# Ours\n")

    actions(agent, "uninstall", "--harness", "codex")
    assert read_json(agent, CONFIGS["codex"]) == {"hooks": {"PreToolUse": pre[:1]}}
    assert (agent.path / "AGENTS.md").read_text() == "\n# Ours\n"


def test_reinstall_widens_the_read_matchers_of_an_earlier_install(agent: Agent) -> None:
    """An install from before content searches were guarded matched reads alone; installing
    again puts the search tools in, leaving one entry per matcher."""
    earlier = {
        "claude": ("PreToolUse", "Read"),
        "gemini": ("BeforeTool", "read_file|read_many_files"),
        "cursor": ("preToolUse", "Write|Edit|StrReplace|MultiEdit|EditNotebook|Delete"),
    }
    for harness, (event, matcher) in earlier.items():
        command = f"gitcoord guard --harness {harness}"
        hook = {"type": "command", "command": command}
        entry: dict[str, Any] = {"matcher": matcher, "command": command}
        if harness != "cursor":
            entry = {"matcher": matcher, "hooks": [hook]}
        put(agent, CONFIGS[harness], json.dumps({"hooks": {event: [entry]}}))
        assert guarded(agent, harness) == [(event, matcher)]
    done = actions(agent, "install", *(f"--harness={h}" for h in earlier))
    for harness in earlier:
        assert done[CONFIGS[harness]] == "updated"
        assert guarded(agent, harness) == EXPECTED[harness]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('{"hooks": {"BeforeTool": [}', "is not valid JSON (Expecting value at line 1"),
        ('["hooks"]', "is not a JSON object"),
        ('{"hooks": []}', "'hooks' is not an object"),
        ('{"hooks": {"BeforeTool": {}}}', "hooks.BeforeTool is not an array"),
    ],
)
def test_a_config_that_is_not_a_json_object_is_refused_and_nothing_changes(
    agent: Agent, text: str, why: str
) -> None:
    put(agent, CONFIGS["gemini"], text)
    before = files(agent)
    for verb in ("install", "uninstall"):
        res = agent.gitcoord("hooks", verb, "--harness", "all")
        assert res.rc == 2, res.err
        assert res.err.startswith(f"gitcoord: .gemini/settings.json {why}") or (
            res.err.startswith(f"gitcoord: .gemini/settings.json: {why}")
        )
        assert "fix: fix or move .gemini/settings.json aside" in res.err
        assert files(agent) == before  # not even the other harnesses' files


def test_unknown_harness_is_a_usage_error(agent: Agent) -> None:
    res = agent.gitcoord("hooks", "install", "--harness", "vscode")
    assert res.rc == 2
    assert "unknown harness 'vscode'" in res.err
    assert "claude, gemini, cursor, codex, copilot, windsurf, or all" in res.err
    help_text = agent.gitcoord("hooks", "install", "-h").out
    assert "--harness NAME" in help_text and "on the agent's PATH" in help_text


def test_the_written_files_need_a_humans_approval_to_commit(
    tmp_path: Path, env: dict[str, str]
) -> None:
    team: Team = make_team(tmp_path, env)
    bob = team.join("bob")
    assert actions(bob, "install", "--harness", "claude")[CONFIGS["claude"]] == "created"
    written = [CONFIGS["claude"], SKILL, "CLAUDE.md", "AGENTS.md"]
    bob.git("add", "--", *written)
    refused = bob.run("git", "commit", "-q", "-m", "agent hooks")
    assert refused.rc == 1
    for rel in written:
        assert f"{rel} needs a human's approval" in refused.err
    assert run_as_human(bob, "gitcoord", "approve").rc == 0
    assert bob.run("git", "commit", "-q", "-m", "agent hooks").rc == 0
    assert run_as_human(bob, "git", "push", "-q", "origin", "HEAD:main").rc == 0

    # Another clone has no record of the install: what only held gitcoord's entries goes.
    carol = team.join("carol")
    assert actions(carol, "uninstall", "--harness", "claude") == {
        CONFIGS["claude"]: "removed",
        SKILL: "removed",
        "CLAUDE.md": "removed",
        "AGENTS.md": "removed",
    }
    carol.git("add", "-u")
    res = commit(carol, "drop the agent hooks")
    assert res.rc == 1 and f"{CONFIGS['claude']} needs a human's approval" in res.err
