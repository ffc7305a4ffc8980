"""The edit-time guard end to end in each of the six agent harnesses: in a real team clone,
`gitcoord hooks install --harness NAME` writes the harness's config; each recorded payload
(tests/payloads/<harness>, shaped as the harness's documentation shows), made to name the
clone's files, is fed to the command that config runs for it, through `sh -c` in the clone;
the reply must be the harness's exact protocol (exit status, stdout JSON, stderr) carrying
the decision. The decisions themselves are tested in test_guard_decisions.py, the protocols
as pure functions in test_harness_protocols.py.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.gitenv import Agent, base_env, clone
from tests.guardenv import relative, run_hook, templated, without_a_path
from tests.hookenv import BASE_CONFIG, RULES, Team, make_team, run_as_human

POLICY = (
    BASE_CONFIG
    + """
[[guard]]
paths = ["secrets/**"]
tier = "block"
why = "credentials never pass through agents"
read = "deny"
"""
)
CLAIMED, SECRET, FREE = "src/api.py", "secrets/key.pem", "src/db.py"
RULES_HASH = "sha256:" + hashlib.sha256(RULES.encode()).hexdigest()[:16]

# What the refusals say (their full wording is test_guard_decisions.py's).
IS_CLAIMED = ("src/api.py is claimed by alice", "fix: git claim --wait src/api.py")
NOT_READ = ("secrets/key.pem may not be read by an agent", "why: credentials never pass")
NOT_ACKED = (f"carol has not acknowledged RULES.md at {RULES_HASH}", "gitcoord rules --ack")

SECRETS_DIR = "secrets"  # a directory holding a read-denied file

# A shell command's {paths} are written relative to the directory it runs in.
SHELL_WRITE = "echo x > {src/api.py}"
SHELL_READ = "cat {secrets/key.pem}"
SHELL_FREE = "cp {src/db.py} {docs/db.md} && grep -c db {src/db.py}"
# The recorded shell payloads that run in a subdirectory (a cwd or Gemini's dir_path).
RUN_DIRS = {
    ("gemini", "shell_write"): "src",
    ("gemini", "shell_directory"): "src",
    ("windsurf", "shell_read"): "src",
}

# (harness, recorded payload, file it is made to name, shell command, refusal or None)
Case = tuple[str, str, str | None, str | None, tuple[str, ...] | None]
CASES: dict[str, Case] = {}


def _case(
    kind: str,
    fixtures: dict[str, str],
    file: str | None,
    command: str | None,
    refusal: tuple[str, ...] | None,
) -> None:
    for harness, name in fixtures.items():
        CASES[f"{harness}-{kind}"] = (harness, name, file, command, refusal)


EVERY = ("claude", "gemini", "cursor", "codex", "copilot", "windsurf")
_case("write-claimed", {h: "write" for h in EVERY}, CLAIMED, None, IS_CLAIMED)
_case("edit-claimed", {h: "edit" for h in EVERY}, CLAIMED, None, IS_CLAIMED)
_case(
    "delete-claimed",
    {h: "delete" for h in ("cursor", "codex", "copilot")},
    CLAIMED,
    None,
    IS_CLAIMED,
)
_case("write-free", {h: "write" for h in EVERY}, FREE, None, None)
# Codex has no read tool; Cursor's reads come as beforeReadFile (its Read tool is not routed).
READS = {
    "claude": "read",
    "gemini": "read",
    "cursor": "read",
    "copilot": "read",
    "windsurf": "read",
}
_case("read-secret", READS, SECRET, None, NOT_READ)
_case("read-free", READS, FREE, None, None)
_case(
    "read-many-secret",
    {"gemini": "read_many"},
    None,
    None,
    ("secrets/*.key may not be read by an agent",),
)
# A content search (Grep, grep_search, grep) reads the directory it searches.
SEARCHES = {h: "search" for h in ("claude", "gemini", "cursor", "copilot")}
_case("search-secret", SEARCHES, SECRETS_DIR, None, NOT_READ)
_case("search-free", SEARCHES, "src", None, None)
# Copilot's str_replace_editor reads (view) or writes (every other command).
_case("editor-write-claimed", {"copilot": "editor_edit"}, CLAIMED, None, IS_CLAIMED)
_case("editor-read-secret", {"copilot": "editor_view"}, SECRET, None, NOT_READ)
# Cursor's shell commands come as beforeShellExecution (its Shell tool is not routed).
SHELLS = {h: "shell_write" for h in EVERY}
_case("shell-write-claimed", SHELLS, None, SHELL_WRITE, IS_CLAIMED)
_case(
    "shell-read-secret",
    {**{h: "shell_read" for h in EVERY}, "cursor": "shell_write"},
    None,
    SHELL_READ,
    NOT_READ,
)
_case("shell-free", SHELLS, None, SHELL_FREE, None)
# Gemini CLI before Nov 2025 named the shell's directory `directory`.
_case("shell-directory-claimed", {"gemini": "shell_directory"}, None, SHELL_WRITE, IS_CLAIMED)

# The harness's reply to a refusal and to a plain allow: (exit, stdout JSON or None, stderr).
Reply = tuple[int, Any, str]


def _hso(event: str, **fields: str) -> dict[str, Any]:
    return {"hookSpecificOutput": {"hookEventName": event, **fields}}


DENIED: dict[str, Callable[[str], Reply]] = {
    "claude": lambda m: (
        0,
        _hso("PreToolUse", permissionDecision="deny", permissionDecisionReason=m),
        "",
    ),
    "codex": lambda m: (
        0,
        _hso("PreToolUse", permissionDecision="deny", permissionDecisionReason=m),
        "",
    ),
    "gemini": lambda m: (0, {"decision": "deny", "reason": m}, ""),
    "cursor": lambda m: (0, {"permission": "deny", "user_message": m, "agent_message": m}, ""),
    "copilot": lambda m: (0, {"permissionDecision": "deny", "permissionDecisionReason": m}, ""),
    "windsurf": lambda m: (2, None, m + "\n"),
}
ALLOWED: dict[str, Reply] = {h: (0, None, "") for h in EVERY}
ALLOWED["cursor"] = (0, {"permission": "allow"}, "")  # Cursor needs an answer to every call
STARTED: dict[str, Callable[[str], Reply]] = {
    "claude": lambda c: (0, _hso("SessionStart", additionalContext=c), ""),
    "codex": lambda c: (0, _hso("SessionStart", additionalContext=c), ""),
    "gemini": lambda c: (0, _hso("SessionStart", additionalContext=c), ""),
    "cursor": lambda c: (0, {"additional_context": c}, ""),
    "copilot": lambda c: (0, {"additionalContext": c}, ""),
}
TEXT_KEYS = (
    "permissionDecisionReason",
    "reason",
    "agent_message",
    "additionalContext",
    "additional_context",
)


def observed(res: subprocess.CompletedProcess[str]) -> tuple[Reply, str]:
    """The reply as the harness reads it, and the text it carries to the agent."""
    assert "Traceback" not in res.stderr, res.stderr
    if not res.stdout:
        return (res.returncode, None, res.stderr), res.stderr.removesuffix("\n")
    assert res.stdout.endswith("\n") and res.stdout.count("\n") == 1, res.stdout
    body = json.loads(res.stdout)
    inner = body.get("hookSpecificOutput", body)
    text = next((inner[k] for k in TEXT_KEYS if isinstance(inner.get(k), str)), "")
    return (res.returncode, body, res.stderr), text


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Team:
    """One team for the module: a block-tier guard reading `secrets/**` denied, and alice
    holding a claim on src/api.py."""
    tmp = tmp_path_factory.mktemp("guard-harnesses")
    team = make_team(tmp, base_env(tmp / "home"), POLICY, {SECRET: "KEY\n"})
    res = team.join("alice").claim("-r", "refactor", CLAIMED)
    assert res.rc == 0, res.err
    return team


@pytest.fixture(scope="module")
def clones() -> dict[str, Agent]:
    return {}


@pytest.fixture
def bob(team: Team, clones: dict[str, Agent], harness: str) -> Agent:
    """bob's clone for `harness` (one per harness, shared by the module): git hooks, rules
    acknowledged, and the harness's hooks installed by a human."""
    if harness not in clones:
        agent = clone(team.url, team.tmp / "agents" / f"bob-{harness}", "bob", team.env)
        for args in (("hooks", "install"), ("rules", "--ack")):
            res = agent.gitcoord(*args)
            assert res.rc == 0, res.err
        res = run_as_human(agent, "gitcoord", "hooks", "install", "--harness", harness)
        assert res.rc == 0, res.err
        clones[harness] = agent
    return clones[harness]


@pytest.mark.parametrize(
    ("harness", "name", "file", "command", "refusal"),
    list(CASES.values()),
    ids=list(CASES),
)
def test_the_installed_hook_answers_in_the_harness_protocol(
    bob: Agent,
    harness: str,
    name: str,
    file: str | None,
    command: str | None,
    refusal: tuple[str, ...] | None,
) -> None:
    if command is not None:
        command = relative(command, RUN_DIRS.get((harness, name), ""))
    payload = templated(harness, name, bob.path, file=file, command=command)
    reply, text = observed(run_hook(bob, harness, payload))
    if refusal is None:
        assert reply == ALLOWED[harness]
    else:
        assert reply == DENIED[harness](text)
        assert all(words in text for words in refusal), text


@pytest.mark.parametrize(
    ("harness", "field"),
    [("claude", ("tool_input", "path")), ("gemini", ("tool_input", "dir_path"))],
)
def test_a_search_naming_no_directory_searches_the_cwd(
    bob: Agent, harness: str, field: tuple[str, str]
) -> None:
    """Run in the top level, it reaches secrets/key.pem."""
    payload = templated(harness, "search", bob.path)
    del payload[field[0]][field[1]]
    reply, text = observed(run_hook(bob, harness, payload))
    assert reply == DENIED[harness](text)
    assert all(words in text for words in NOT_READ), text


@pytest.mark.parametrize("harness", ("claude", "gemini", "cursor", "codex", "copilot"))
def test_session_start_tells_the_agent_who_it_is_the_rules_and_others_claims(
    bob: Agent, harness: str, tmp_path: Path
) -> None:
    payload = templated(harness, "session_start", bob.path)
    session = payload.get("session_id") or payload.get("conversation_id") or payload["sessionId"]
    env_file = tmp_path / "claude-env"
    env = {"CLAUDE_ENV_FILE": str(env_file)} if harness == "claude" else {}
    reply, context = observed(run_hook(bob, harness, payload, **env))
    assert reply == STARTED[harness](context)
    # Only Claude Code gives the agent's shell the harness session (CLAUDE_ENV_FILE); the
    # others keep the working tree's, the one the agent's own `git claim` and commits use.
    own = bob.gitcoord("status", "--json").json()["session"]
    expected = session if harness == "claude" else own
    assert context.startswith(f"gitcoord: you are agent bob, session {expected}")
    assert f"The team's rules (RULES.md, {RULES_HASH}); you have acknowledged them" in context
    assert RULES.strip() in context
    assert "src/api.py is claimed by alice (write, expires in " in context
    assert 'reason: "refactor")' in context
    if harness == "claude":  # the identity for the session's later shell commands
        assert env_file.read_text() == f"export GITCOORD_AGENT=bob GITCOORD_SESSION={session}\n"


@pytest.mark.parametrize("harness", EVERY)
def test_unacknowledged_rules_refuse_a_write_naming_the_command(bob: Agent, harness: str) -> None:
    # carol works in bob's clone and has not acknowledged the rules there.
    payload = templated(harness, "write", bob.path, file=FREE)
    reply, text = observed(run_hook(bob, harness, payload, GITCOORD_AGENT="carol"))
    assert reply == DENIED[harness](text)
    assert all(words in text for words in NOT_ACKED), text
    # (bob, who acknowledged them, is allowed the same write: the write-free cases)


@pytest.mark.parametrize("harness", EVERY)
def test_a_malformed_payload_blocks_with_a_message_and_no_traceback(
    bob: Agent, harness: str
) -> None:
    res = run_hook(bob, harness, '{"hook_event_name": "PreToolUse", ')
    assert (res.returncode, res.stdout) == (2, "")
    assert res.stderr == "gitcoord: the hook payload on stdin is not JSON\n"

    broken = without_a_path(templated(harness, "write", bob.path, file=FREE), FREE)
    res = run_hook(bob, harness, broken)
    assert (res.returncode, res.stdout) == (2, ""), res.stderr
    assert res.stderr.startswith(f"gitcoord: {harness} hook payload: payload."), res.stderr
    assert "a number" in res.stderr and "Traceback" not in res.stderr
    assert f"fix: run `gitcoord guard --harness {harness}` only from" in res.stderr
