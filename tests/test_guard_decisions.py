"""The edit-time guard's decisions, through the real `gitcoord guard` against a real team
remote: what each rule says at the tool call (the harness protocols are tested one by one
in test_harness_protocols.py and end to end in test_guard_harnesses.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.gitenv import Agent
from tests.hookenv import BASE_CONFIG, Team, make_team, write

POLICY = (
    BASE_CONFIG
    + """require = ["migrations/"]
auto = true

[[guard]]
paths = ["secrets/**"]
tier = "block"
why = "credentials never pass through agents"
read = "deny"

[[guard]]
paths = ["deploy/**"]
tier = "approve"
why = "production"
read = "ask"

[[guard]]
paths = ["docs/**"]
tier = "warn"

[roles.tests]
write = ["tests/**"]

[agents]
"tess" = "tests"
"""
)


@pytest.fixture
def team(tmp_path: Path, env: dict[str, str]) -> Team:
    return make_team(tmp_path, env, POLICY, {"deploy/app.yml": "app\n"})


def guard(
    agent: Agent, event: dict[str, Any], harness: str = "claude", **env: str
) -> subprocess.CompletedProcess[str]:
    payload = {"session_id": "s1", "cwd": str(agent.path), **event}
    return subprocess.run(
        ["gitcoord", "guard", "--harness", harness],
        input=json.dumps(payload),
        cwd=agent.path,
        env={**agent.environ(), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def tool(agent: Agent, name: str, session: str = "s1", **tool_input: str) -> dict[str, Any]:
    """Claude Code's PreToolUse for `name`; the decision it gets back ({} when allowed
    without a word)."""
    res = guard(
        agent,
        {
            "session_id": session,
            "hook_event_name": "PreToolUse",
            "tool_name": name,
            "tool_input": tool_input,
        },
    )
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
    out: dict[str, Any] = json.loads(res.stdout)["hookSpecificOutput"] if res.stdout else {}
    return out


def edit(agent: Agent, rel: str, session: str = "s1") -> dict[str, Any]:
    return tool(agent, "Edit", session, file_path=str(agent.path / rel))


def test_an_approve_tier_path_asks_a_human_where_the_harness_can(team: Team) -> None:
    bob = team.join("bob")
    asked = edit(bob, "deploy/app.yml")
    assert asked["permissionDecision"] == "ask"
    assert asked["permissionDecisionReason"].startswith(
        "gitcoord: a human must approve (guards): deploy/app.yml needs a human's approval "
        "(guard 'deploy/**')"
    )
    # A file that could switch the hooks off is gitcoord's own: approve-tier.
    local = edit(bob, ".claude/settings.local.json")
    assert local["permissionDecision"] == "ask", local
    # Windsurf cannot ask: refused, saying a human must approve.
    res = guard(
        bob,
        {
            "agent_action_name": "pre_write_code",
            "trajectory_id": "t1",
            "execution_id": "e1",
            "tool_info": {"file_path": str(bob.path / "deploy/app.yml"), "edits": []},
        },
        harness="windsurf",
    )
    assert res.returncode == 2 and res.stderr.startswith("A human must approve this"), res.stderr
    assert "deploy/app.yml needs a human's approval" in res.stderr


def test_a_warn_tier_path_is_allowed_with_a_note_and_a_block_tier_path_refused(
    team: Team,
) -> None:
    bob = team.join("bob")
    noted = edit(bob, "docs/guide.md")
    assert "permissionDecision" not in noted
    assert "docs/guide.md is guarded (guard 'docs/**')" in noted["additionalContext"]
    refused = edit(bob, "secrets/key.pem")
    assert refused["permissionDecision"] == "deny"
    assert "why: credentials never pass through agents" in refused["permissionDecisionReason"]


def test_roles_require_and_rules_at_the_tool_call(team: Team) -> None:
    tess = team.join("tess")
    outside = edit(tess, "src/api.py")
    assert "src/api.py is outside role 'tests'" in outside["permissionDecisionReason"]
    bob = team.join("bob")
    required = edit(bob, "migrations/0001.sql")
    assert required["permissionDecision"] == "deny"
    assert "fix: git claim migrations/0001.sql" in required["permissionDecisionReason"]
    newcomer = team.join("nora", ack=False)
    unread = edit(newcomer, "src/db.py")
    assert unread["permissionDecision"] == "deny"
    assert "gitcoord rules --ack" in unread["permissionDecisionReason"]


def test_the_first_edit_claims_for_its_session_and_the_second_session_is_refused(
    team: Team,
) -> None:
    """[claims] auto: two agent sessions in one checkout are two holders."""
    bob = team.join("bob")
    claimed = edit(bob, "src/db.py", session="s1")  # allowed, and claimed first
    assert "permissionDecision" not in claimed
    assert claimed["additionalContext"] == (
        "gitcoord: claimed src/db.py for this session ([claims] auto); release it when done: "
        "git claim -d src/db.py"
    )
    listed = bob.claim("--json").json()["claims"]
    assert [(c["path"], c["session"]) for c in listed] == [("src/db.py", "s1")]
    assert edit(bob, "src/db.py", session="s1") == {}  # mine now: no second claim
    refused = edit(bob, "src/db.py", session="s2")
    assert refused["permissionDecision"] == "deny"
    reason = refused["permissionDecisionReason"]
    assert "src/db.py is claimed by your other session s1" in reason
    assert "GITCOORD_SESSION=s1 git claim -d src/db.py" in reason


def test_a_refused_auto_claim_refuses_the_write(tmp_path: Path, env: dict[str, str]) -> None:
    """A snapshot young enough to use but older than alice's claim lets the edit through
    the claims check; the auto-claim, verified on the remote, is refused and so is the
    edit, with the claim protocol's own refusal."""
    team = make_team(tmp_path, env, POLICY.replace('max_age = "0s"', 'max_age = "1h"'))
    alice, bob = team.join("alice"), team.join("bob")
    assert bob.claim().rc == 0  # bob's snapshot: no claims yet
    assert alice.claim("src/").rc == 0
    refused = edit(bob, "src/new.py")
    assert refused["permissionDecision"] == "deny"
    assert (
        "src/new.py is inside src/: src/ is claimed by alice"
        in (refused["permissionDecisionReason"])
    )
    assert [c["agent"] for c in alice.claim("--json").json()["claims"]] == ["alice"]


def test_shell_commands_reads_of_directories_and_undetermined_targets(team: Team) -> None:
    alice, bob = team.join("alice"), team.join("bob")
    assert alice.claim("src/api.py").rc == 0
    write(bob, "secrets/key.pem", "KEY\n")  # on disk, untracked
    hidden = tool(bob, "Bash", command="cd src && sed -i s/a/b/ api.py")
    assert "src/api.py is claimed by alice" in hidden["permissionDecisionReason"]
    searched = tool(bob, "Bash", command="grep -r KEY .")
    assert "secrets/key.pem may not be read by an agent" in searched["permissionDecisionReason"]
    asked = tool(bob, "Read", file_path=str(bob.path / "deploy/app.yml"))
    assert asked["permissionDecision"] == "ask"
    assert tool(bob, "Bash", command='echo x > "$OUT"') == {}  # undetermined: the hooks hold
    assert tool(bob, "Bash", command="grep -n api src/api.py README.md") == {}


def test_fail_closed_refuses_writes_when_the_remote_cannot_be_read(
    team: Team, tmp_path: Path
) -> None:
    bob = team.join("bob")
    served = tmp_path / "served"
    shutil.move(served / "team.git", served / "gone.git")
    refused = edit(bob, "src/db.py")
    assert refused["permissionDecision"] == "deny"
    assert "cannot check claims" in refused["permissionDecisionReason"]
    assert tool(bob, "Read", file_path=str(bob.path / "src/db.py")) == {}  # reads need no claims


def test_session_start_tells_the_agent_and_sets_its_identity(team: Team, tmp_path: Path) -> None:
    alice, bob = team.join("alice"), team.join("bob")
    assert alice.claim("src/api.py", "-r", "auth rewrite").rc == 0
    env_file = tmp_path / "claude.env"
    res = guard(
        bob,
        {"hook_event_name": "SessionStart", "source": "startup"},
        CLAUDE_ENV_FILE=str(env_file),
    )
    context = json.loads(res.stdout)["hookSpecificOutput"]["additionalContext"]
    assert context.startswith("gitcoord: you are agent bob, session s1 (set for your shell")
    assert "The team's rules (RULES.md, sha256:" in context and "you have acknowledged" in context
    assert "src/api.py is claimed by alice (write, expires in" in context
    assert env_file.read_text() == "export GITCOORD_AGENT=bob GITCOORD_SESSION=s1\n"
    # The agent's own `git claim`, under that environment, is the session the guard sees.
    claimed = bob.run("sh", "-c", f". {env_file} && git claim src/db.py")
    assert claimed.rc == 0, claimed.err
    assert edit(bob, "src/db.py", session="s1") == {}
    assert edit(bob, "src/db.py", session="s2")["permissionDecision"] == "deny"


def test_outside_a_repository_nothing_is_guarded(tmp_path: Path, env: dict[str, str]) -> None:
    elsewhere = tmp_path / "plain"
    elsewhere.mkdir()
    res = subprocess.run(
        ["gitcoord", "guard", "--harness", "claude"],
        input=json.dumps(
            {
                "session_id": "s1",
                "cwd": str(elsewhere),
                "hook_event_name": "PreToolUse",
                "tool_name": "Write",
                "tool_input": {"file_path": str(elsewhere / "x.txt"), "content": "x"},
            }
        ),
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (res.returncode, res.stdout, res.stderr) == (0, "", "")


def test_an_uncommitted_policy_edit_changes_no_decision_at_the_tool_call(team: Team) -> None:
    bob = team.join("bob")
    relaxed = POLICY.replace("[claims]\n", '[checks]\nguards = "off"\n\n[claims]\n', 1)
    write(bob, "gitcoord.toml", relaxed)  # as an agent could, with a shell command
    refused = edit(bob, "secrets/key.pem")
    assert refused["permissionDecision"] == "deny", refused
    assert "secrets/key.pem is blocked (guard 'secrets/**')" in refused["permissionDecisionReason"]


def test_the_target_decides_the_repository_and_symlinks_lead_to_their_files(
    team: Team, tmp_path: Path
) -> None:
    """An agent whose shell left the project still writes into it; a link is the file it
    reaches; .git (hooks, gitcoord's state) is no place for an agent's write."""
    alice, bob = team.join("alice"), team.join("bob")
    assert alice.claim("src/api.py").rc == 0
    outside = guard(
        bob,
        {
            "cwd": str(tmp_path),
            "hook_event_name": "PreToolUse",
            "tool_name": "Write",
            "tool_input": {"file_path": str(bob.path / "src/api.py"), "content": "x"},
        },
    )
    assert "src/api.py is claimed by alice" in outside.stdout, outside.stdout + outside.stderr
    (bob.path / "link.py").symlink_to("src/api.py")
    write(bob, "secrets/key.pem", "KEY\n")
    (bob.path / "sk").symlink_to("secrets/key.pem")
    linked = edit(bob, "link.py")
    assert "src/api.py is claimed by alice" in linked["permissionDecisionReason"]
    read = tool(bob, "Read", file_path=str(bob.path / "sk"))
    assert "secrets/key.pem may not be read by an agent" in read["permissionDecisionReason"]
    hooks = edit(bob, ".git/hooks/pre-commit")
    assert hooks["permissionDecision"] == "deny"
    assert "inside the repository's .git directory" in hooks["permissionDecisionReason"]


def test_a_release_is_seen_at_once_by_the_next_check(tmp_path: Path, env: dict[str, str]) -> None:
    """The snapshot forgets what this clone released: the refusal's fix ("release it,
    then retry") works at once, not after [claims] max_age."""
    team = make_team(tmp_path, env, POLICY.replace('max_age = "0s"', 'max_age = "1h"'))
    bob = team.join("bob")
    assert edit(bob, "src/db.py", session="s1")["additionalContext"].startswith("gitcoord: claimed")
    assert edit(bob, "src/db.py", session="s2")["permissionDecision"] == "deny"
    released = bob.run("sh", "-c", "GITCOORD_SESSION=s1 git claim -d src/db.py")
    assert released.rc == 0, released.err
    assert "permissionDecision" not in edit(bob, "src/db.py", session="s2")


def test_an_auto_claim_under_a_harness_without_session_env_is_the_agents_own(
    team: Team,
) -> None:
    """Windsurf cannot give the agent's shell its trajectory id: the claim is made in the
    working tree's session, so the agent's own commit of the file goes through."""
    from tests.hookenv import commit

    bob = team.join("bob")
    res = guard(
        bob,
        {
            "agent_action_name": "pre_write_code",
            "trajectory_id": "traj-1",
            "execution_id": "e1",
            "tool_info": {"file_path": str(bob.path / "src/db.py"), "edits": []},
        },
        harness="windsurf",
    )
    assert (res.returncode, res.stderr) == (0, ""), res.stderr
    own = bob.gitcoord("status", "--json").json()["session"]
    assert [c["session"] for c in bob.claim("--json").json()["claims"]] == [own]
    done = commit(bob, "db", ("src/db.py", "bob's db\n"))
    assert done.rc == 0, done.err


def test_a_command_that_does_not_parse_whole_is_refused(team: Team) -> None:
    bob = team.join("bob")
    refused = tool(bob, "Bash", command="cat <<EOF > src/api.py\nmalicious")
    assert refused["permissionDecision"] == "deny"
    assert "does not parse as a whole" in refused["permissionDecisionReason"]
