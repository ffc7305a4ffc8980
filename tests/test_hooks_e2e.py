"""The hooks end to end: real `git commit` and `git push` against a bare remote."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.gitenv import Agent
from tests.hookenv import BASE_CONFIG, Team, commit, make_team, run_as_human, write


@pytest.fixture
def team(tmp_path: Path, env: dict[str, str]) -> Team:
    return make_team(tmp_path, env)


def team_with(tmp_path: Path, env: dict[str, str], extra: str) -> Team:
    return make_team(tmp_path, env, BASE_CONFIG + extra)


def test_claimed_path_delete_and_rename_refused(team: Team) -> None:
    alice, bob = team.join("alice"), team.join("bob")
    assert alice.claim("src/api.py", "src/db.py", "-r", "auth rewrite").rc == 0
    bob.git("rm", "-q", "src/api.py")
    refused = bob.run("git", "commit", "-q", "-m", "drop api")
    assert refused.rc == 1
    assert refused.err.startswith(
        "gitcoord: refused by claims: src/api.py is claimed by alice "
        "(write claim on src/api.py, expires in "
    )
    assert '  why: alice\'s reason: "auth rewrite"; RULES.md:3: Claim before you change' in (
        refused.err
    )
    assert "  fix: git claim --wait src/api.py" in refused.err
    bob.git("reset", "-q", "--hard")

    bob.git("mv", "src/db.py", "src/store.py")
    renamed = bob.run("git", "commit", "-q", "-m", "rename db")
    assert renamed.rc == 1
    assert "refused by claims: src/db.py is claimed by alice" in renamed.err
    bob.git("reset", "-q", "--hard")

    assert alice.claim("docs/new.md").rc == 0  # the new name of a rename counts too
    bob.git("mv", "README.md", "docs/new.md")
    into = bob.run("git", "commit", "-q", "-m", "move readme")
    assert into.rc == 1 and "refused by claims: docs/new.md is claimed by alice" in into.err

    assert alice.claim("-d", "--all").rc == 0
    ok = bob.run("git", "commit", "-q", "-m", "move readme")
    assert ok.rc == 0, ok.err
    assert ok.err == ""


def test_require_refused_without_my_claim_and_allowed_with_it(
    tmp_path: Path, env: dict[str, str]
) -> None:
    team = team_with(tmp_path, env, 'require = ["migrations/"]\n')
    bob = team.join("bob")
    refused = commit(bob, "add migration", ("migrations/001.sql", "create table t;\n"))
    assert refused.rc == 1
    assert "refused by claims: migrations/001.sql needs a write claim of mine " in refused.err
    assert "fix: git claim migrations/001.sql" in refused.err
    assert bob.claim("migrations/").rc == 0
    ok = bob.run("git", "commit", "-q", "-m", "add migration")
    assert ok.rc == 0, ok.err


def test_unacknowledged_rules_change_refused_until_acked(team: Team) -> None:
    alice, bob = team.join("alice"), team.join("bob")
    write(alice, "RULES.md", (alice.path / "RULES.md").read_text() + "3. Small commits.\n")
    alice.git("add", "RULES.md")
    assert run_as_human(alice, "gitcoord", "approve").rc == 0  # RULES.md is approve-tier
    assert alice.gitcoord("rules", "--ack").rc == 0
    assert alice.run("git", "commit", "-q", "-m", "rules: small commits").rc == 0
    assert alice.run("git", "push", "-q", "origin", "main").rc == 0

    bob.git("pull", "-q", "origin", "main")
    refused = commit(bob, "docs", ("docs/guide.md", "more\n"))
    assert refused.rc == 1
    assert "gitcoord: refused by rules: bob has not acknowledged RULES.md at sha256:" in (
        refused.err
    )
    assert "why: RULES.md:4: Read the rules at the start of every session." in refused.err
    assert "fix: gitcoord rules   (read it), then: gitcoord rules --ack" in refused.err

    shown = bob.gitcoord("rules", "--json").json()
    assert shown["acknowledged"] is False
    assert bob.gitcoord("rules", "--ack").rc == 0
    ok = bob.run("git", "commit", "-q", "-m", "docs")
    assert ok.rc == 0, ok.err
    trailers = bob.git("log", "-1", "--format=%(trailers:only,unfold)")
    session = bob.gitcoord("status", "--json").json()["session"]
    assert trailers == (
        f"Gitcoord-Agent: bob\nGitcoord-Session: {session}\nGitcoord-Rules: {shown['hash']}\n\n"
    )


def test_block_path_refused_and_approve_path_needs_a_matching_approval(
    tmp_path: Path, env: dict[str, str]
) -> None:
    team = team_with(
        tmp_path,
        env,
        '\n[[guard]]\npaths = ["secrets/**"]\ntier = "block"\n'
        'why = "credentials never pass through agents"\n',
    )
    bob = team.join("bob")
    blocked = commit(bob, "key", ("secrets/prod.key", "k\n"))
    assert blocked.rc == 1
    assert blocked.err == (
        "gitcoord: refused by guards: secrets/prod.key is blocked (guard 'secrets/**')\n"
        "  why: credentials never pass through agents\n"
        "  fix: git restore --staged -- secrets/prod.key\n"
    )
    bob.git("rm", "-q", "--cached", "secrets/prod.key")

    config = (bob.path / "gitcoord.toml").read_text()
    refused = commit(bob, "ttl", ("gitcoord.toml", config + '\n[remote]\nname = "origin"\n'))
    assert refused.rc == 1
    assert "gitcoord.toml needs a human's approval (guard '/gitcoord.toml'): no approval" in (
        refused.err
    )
    agent_tries = bob.gitcoord("approve")
    assert agent_tries.rc == 1 and "approvals come from a human" in agent_tries.err
    approved = run_as_human(bob, "gitcoord", "approve")
    assert approved.rc == 0, approved.err
    assert "approved as bob@example.com" in approved.out

    write(bob, "gitcoord.toml", config + '\n[remote]\nname = "origin"\nbase = "main"\n')
    bob.git("add", "gitcoord.toml")
    changed = bob.run("git", "commit", "-q", "-m", "ttl")
    assert changed.rc == 1
    assert "the staged change differs from the approved one" in changed.err
    assert run_as_human(bob, "gitcoord", "approve").rc == 0
    ok = bob.run("git", "commit", "-q", "-m", "ttl")
    assert ok.rc == 0, ok.err


def test_role_writing_outside_its_patterns_refused(tmp_path: Path, env: dict[str, str]) -> None:
    team = team_with(
        tmp_path, env, '[roles.tests]\nwrite = ["tests/**"]\n[agents]\n"bob" = "tests"\n'
    )
    bob = team.join("bob")
    assert commit(bob, "test", ("tests/test_api.py", "def test(): pass\n")).rc == 0
    refused = commit(bob, "api", ("src/api.py", "changed\n"))
    assert refused.rc == 1
    assert refused.err == (
        "gitcoord: refused by roles: src/api.py is outside role 'tests', which may write "
        "only: tests/**\n  why: a role limits where an agent may write\n"
        "  fix: git restore --staged -- src/api.py   (or add a pattern to [roles.tests] write)\n"
    )
    bob.extra["GITCOORD_ROLE"] = "nosuch"
    bad = bob.run("git", "commit", "-q", "-m", "api")
    assert bad.rc == 1
    assert "GITCOORD_ROLE='nosuch' is not a role in gitcoord.toml (known: tests)" in bad.err


def test_force_push_from_stale_clone_refused_remote_intact(team: Team) -> None:
    alice, bob = team.join("alice"), team.join("bob")
    assert commit(alice, "one", ("docs/a.md", "1\n")).rc == 0
    assert commit(alice, "two", ("docs/b.md", "2\n")).rc == 0
    assert alice.run("git", "push", "-q", "origin", "main").rc == 0
    tip = alice.git("rev-parse", "HEAD").strip()

    assert commit(bob, "mine", ("docs/c.md", "3\n")).rc == 0
    forced = bob.run("git", "push", "--force", "origin", "main")
    assert forced.rc != 0
    assert (
        "gitcoord: refused by sync: this push to main would drop 2 commit(s) that origin has "
        "(protected branch 'main'; --force does not override this)" in forced.err
    )
    assert "fix: git pull --rebase origin main   (then push again)" in forced.err
    assert alice.git("ls-remote", "origin", "refs/heads/main").split()[0] == tip

    assert bob.run("git", "pull", "-q", "--rebase", "origin", "main").rc == 0
    pushed = bob.run("git", "push", "-q", "origin", "main")
    assert pushed.rc == 0, pushed.err


def test_pre_push_refuses_commits_made_without_hooks_on_claimed_paths(team: Team) -> None:
    alice, bob = team.join("alice"), team.join("bob")
    assert alice.claim("src/").rc == 0
    bob.commit_file("src/api.py", "sneaky\n")  # --no-verify skips pre-commit, not pre-push
    refused = bob.run("git", "push", "origin", "main")
    assert refused.rc != 0
    assert "gitcoord: refused by claims: src/api.py is claimed by alice" in refused.err


@pytest.mark.parametrize("mode", ["off", "monitor", "warn", "enforce"])
def test_claims_check_rollout_modes(tmp_path: Path, env: dict[str, str], mode: str) -> None:
    team = team_with(tmp_path, env, f'[checks]\nclaims = "{mode}"\n')
    alice, bob = team.join("alice"), team.join("bob")
    assert alice.claim("src/api.py").rc == 0
    res = commit(bob, "edit", ("src/api.py", "bob\n"))
    log = bob.path / ".git" / "gitcoord" / "findings.log"
    logged = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    assert res.rc == (1 if mode == "enforce" else 0), res.err
    if mode == "off":
        assert res.err == "" and logged == []
        return
    assert [(e["check"], e["mode"], e["path"]) for e in logged] == [("claims", mode, "src/api.py")]
    if mode == "monitor":
        assert res.err == ""
    else:
        head = "refused" if mode == "enforce" else "warning"
        assert res.err.startswith(f"gitcoord: {head} by claims: src/api.py is claimed by alice")


def test_offline_fail_closed_and_fail_open(tmp_path: Path, env: dict[str, str]) -> None:
    team = make_team(tmp_path, env)
    bob = team.join("bob")
    served = tmp_path / "served"
    shutil.move(served / "team.git", served / "gone.git")
    closed = commit(bob, "edit", ("docs/guide.md", "offline\n"))
    assert closed.rc == 1
    assert "gitcoord: pre-commit: cannot check claims: cannot reach remote 'origin'" in closed.err
    assert 'offline set [claims] offline = "fail-open"' in closed.err

    # The policy in force is origin/main's: committing fail-open here changes nothing ...
    write(
        bob, "gitcoord.toml", BASE_CONFIG.replace("[claims]\n", '[claims]\noffline = "fail-open"\n')
    )
    bob.git("add", "gitcoord.toml")
    assert run_as_human(bob, "gitcoord", "approve").rc == 3  # recorded, not published: offline
    still_closed = bob.run("git", "commit", "-q", "-m", "fail-open")
    assert still_closed.rc == 1 and "cannot check claims" in still_closed.err
    # ... until it has landed on main.
    shutil.move(served / "gone.git", served / "team.git")
    landed = bob.run("git", "commit", "-q", "-m", "fail-open")
    assert landed.rc == 0, landed.err
    assert bob.run("git", "push", "-q", "origin", "main").rc == 0
    shutil.move(served / "team.git", served / "gone.git")
    opened = commit(bob, "edit", ("docs/guide.md", "offline, again\n"))
    assert opened.rc == 0, opened.err
    assert "cannot reach origin; offline = fail-open" in opened.err


def test_fresh_snapshot_is_used_without_the_network(tmp_path: Path, env: dict[str, str]) -> None:
    team = make_team(tmp_path, env, '[claims]\nmax_age = "1h"\n')
    alice, bob = team.join("alice"), team.join("bob")
    assert alice.claim("src/api.py").rc == 0
    assert bob.claim().rc == 0  # a listing writes the snapshot
    served = tmp_path / "served"
    shutil.move(served / "team.git", served / "gone.git")
    refused = commit(bob, "edit", ("src/api.py", "bob\n"))
    assert refused.rc == 1 and "src/api.py is claimed by alice" in refused.err
    bob.git("reset", "-q", "--hard")
    ok = commit(bob, "edit", ("src/db.py", "bob\n"))
    assert ok.rc == 0, ok.err


def test_commit_a_uses_the_temporary_index(team: Team) -> None:
    alice, bob = team.join("alice"), team.join("bob")
    assert alice.claim("src/db.py").rc == 0
    write(bob, "src/db.py", "unstaged edit\n")
    res = bob.run("git", "commit", "-a", "-q", "-m", "all")  # GIT_INDEX_FILE is a temp index
    assert res.rc == 1 and "src/db.py is claimed by alice" in res.err


def test_hooks_install_chains_existing_hook_and_uninstall_restores(team: Team) -> None:
    bob = team.join("bob", hooks=False)
    hooks = bob.path / ".git" / "hooks"
    hooks.mkdir(parents=True, exist_ok=True)
    own = hooks / "pre-commit"
    own.write_text("#!/bin/sh\necho local-hook-ran >&2\n")
    own.chmod(0o755)
    installed = bob.gitcoord("hooks", "install")
    assert installed.rc == 0, installed.err
    assert "pre-commit: installed, chaining the existing hook (kept as pre-commit.local)" in (
        installed.out
    )
    again = bob.gitcoord("hooks", "install")
    assert "hook pre-commit: unchanged" in again.out
    assert bob.claim("-m", "read", "README.md").rc == 0  # a claim of my own is no conflict
    res = commit(bob, "docs", ("README.md", "x\n"))
    assert res.rc == 0 and res.err == "local-hook-ran\n"

    removed = bob.gitcoord("hooks", "uninstall")
    assert "pre-commit: removed; restored the previous hook from pre-commit.local" in removed.out
    assert own.read_text() == "#!/bin/sh\necho local-hook-ran >&2\n"
    assert not (hooks / "pre-push").exists()


def test_hooks_respect_core_hooks_path_and_guard_it(team: Team) -> None:
    bob = team.join("bob", hooks=False)
    bob.git("config", "core.hooksPath", ".githooks")
    assert bob.gitcoord("hooks", "install").rc == 0
    assert (bob.path / ".githooks" / "pre-commit").exists()
    bob.git("add", ".githooks")
    res = bob.run("git", "commit", "-q", "-m", "share hooks")
    assert res.rc == 1
    assert ".githooks/pre-commit needs a human's approval (guard '/.githooks/')" in res.err


def test_init_is_idempotent_and_writes_a_valid_config(alice: Agent) -> None:
    first = alice.gitcoord("init")
    assert first.rc == 0, first.err
    assert first.out.splitlines()[:2] == [
        "gitcoord.toml: written with commented defaults",
        "RULES.md: written from the starter template; add your team's rules",
    ]
    config = (alice.path / "gitcoord.toml").read_text()
    rules = (alice.path / "RULES.md").read_text()
    assert "# Each check's rollout mode" in config and "Claim before you change" in rules
    second = alice.gitcoord("init")
    assert second.rc == 0
    assert second.out.splitlines() == [
        "gitcoord.toml: kept (already exists)",
        "RULES.md: kept (already exists)",
        "hook pre-commit: unchanged",
        "hook pre-push: unchanged",
        "hook commit-msg: unchanged",
    ]
    assert (alice.path / "gitcoord.toml").read_text() == config
    assert first.out.splitlines()[-1] == (
        "next: git add gitcoord.toml RULES.md && git commit -m 'Adopt gitcoord' && git push"
    )
    # The rules in force are the committed ones: none yet.
    uncommitted = alice.gitcoord("rules")
    assert uncommitted.rc == 2
    assert "there is no rules file RULES.md at any commit (the one in the working tree is " in (
        uncommitted.err
    )
    alice.git("add", "gitcoord.toml", "RULES.md")  # no policy in force: adopting needs no approval
    adopted = alice.run("git", "commit", "-q", "-m", "Adopt gitcoord")
    assert adopted.rc == 0, adopted.err
    status = alice.gitcoord("rules")
    assert status.rc == 0 and "NOT acknowledged (run: gitcoord rules --ack)" in status.out


def test_concluding_a_merge_checks_my_resolution_not_their_changes(team: Team) -> None:
    alice, bob = team.join("alice"), team.join("bob")
    assert alice.claim("src/api.py").rc == 0
    assert commit(alice, "api", ("src/api.py", "alice's api\n")).rc == 0
    assert commit(alice, "guide", ("docs/guide.md", "alice\n")).rc == 0
    assert alice.run("git", "push", "-q", "origin", "main").rc == 0
    assert commit(bob, "guide", ("docs/guide.md", "bob\n")).rc == 0
    merge = bob.run("git", "pull", "-q", "--no-rebase", "origin", "main")
    assert merge.rc != 0  # a conflict on docs/guide.md
    write(bob, "docs/guide.md", "alice and bob\n")
    bob.git("add", "docs/guide.md")
    res = bob.run("git", "commit", "-q", "--no-edit")
    assert res.rc == 0, res.err  # src/api.py is alice's change, not part of my resolution
    assert bob.git("show", "-s", "--format=%P", "HEAD").count(" ") == 1  # a merge commit


def test_deleting_a_protected_branch_refused_but_a_feature_branch_may_go(team: Team) -> None:
    bob = team.join("bob")
    assert bob.run("git", "push", "-q", "origin", "main:feature/x").rc == 0
    assert bob.run("git", "push", "-q", "origin", ":feature/x").rc == 0
    deleted = bob.run("git", "push", "origin", ":main")
    assert deleted.rc != 0
    assert "gitcoord: refused by sync: deleting main would drop 1 commit(s) that origin has" in (
        deleted.err
    )
    assert bob.git("ls-remote", "origin", "refs/heads/main") != ""


WARN_CASES = {
    # check: (config, file the agent commits, expected start of the warning)
    "rules": ("", "docs/guide.md", "gitcoord: warning by rules: bob has not acknowledged"),
    "guards": (
        '[[guard]]\npaths = ["docs/"]\ntier = "block"\n',
        "docs/guide.md",
        "gitcoord: warning by guards: docs/guide.md is blocked (guard 'docs/')",
    ),
    "roles": (
        '[roles.tests]\nwrite = ["tests/**"]\n[agents]\n"bob" = "tests"\n',
        "docs/guide.md",
        "gitcoord: warning by roles: docs/guide.md is outside role 'tests'",
    ),
}


@pytest.mark.parametrize("check", sorted(WARN_CASES))
def test_warn_mode_prints_records_and_allows(
    tmp_path: Path, env: dict[str, str], check: str
) -> None:
    extra, path, expected = WARN_CASES[check]
    team = team_with(tmp_path, env, f'[checks]\n{check} = "warn"\n' + extra)
    bob = team.join("bob", ack=False)
    if check != "rules":
        assert bob.gitcoord("rules", "--ack").rc == 0
    res = commit(bob, "edit", (path, "bob\n"))
    assert res.rc == 0, res.err
    assert res.err.startswith(expected)
    log = (bob.path / ".git" / "gitcoord" / "findings.log").read_text().splitlines()
    assert [json.loads(line)["check"] for line in log] == [check]


def test_warn_tier_guard_allows_and_records(tmp_path: Path, env: dict[str, str]) -> None:
    team = team_with(tmp_path, env, '[[guard]]\npaths = ["docs/"]\ntier = "warn"\nwhy = "public"\n')
    bob = team.join("bob")
    res = commit(bob, "docs", ("docs/guide.md", "bob\n"))
    assert res.rc == 0
    assert res.err == (
        "gitcoord: warning by guards: docs/guide.md is guarded (guard 'docs/')\n"
        "  why: public\n  fix: none needed; the change is allowed and recorded\n"
    )


def test_force_push_to_unprotected_branch_with_unknown_remote_tip_allowed(team: Team) -> None:
    alice, bob = team.join("alice"), team.join("bob")
    assert commit(alice, "wip", ("docs/wip.md", "1\n")).rc == 0
    assert alice.run("git", "push", "-q", "origin", "HEAD:feature/x").rc == 0
    assert commit(bob, "mine", ("docs/mine.md", "2\n")).rc == 0
    forced = bob.run("git", "push", "-q", "--force", "origin", "HEAD:feature/x")
    assert forced.rc == 0, forced.err  # bob never fetched alice's tip; not a protected branch


def test_a_hook_shim_installed_by_0_2_still_enforces_and_install_updates_it(team: Team) -> None:
    """0.2's shims exec `from gitcoord.hook_entry import console_main`: an upgrade must not
    turn every commit into an ImportError (or let it through)."""
    alice, bob = team.join("alice"), team.join("bob")
    shim = bob.path / ".git" / "hooks" / "pre-commit"
    current = shim.read_text()
    assert "from gitcoord.hooks.entry import console_main" in current
    shim.write_text(current.replace("gitcoord.hooks.entry", "gitcoord.hook_entry"))
    assert alice.claim("src/api.py").rc == 0
    write(bob, "src/api.py", "bob's edit\n")
    bob.git("add", "src/api.py")
    refused = bob.run("git", "commit", "-q", "-m", "edit api")
    assert refused.rc == 1
    assert "gitcoord: refused by claims: src/api.py is claimed by alice" in refused.err

    installed = bob.gitcoord("hooks", "install")
    assert installed.rc == 0, installed.err
    assert "pre-commit: updated" in installed.out
    assert shim.read_text() == current
