"""`gitcoord ci` over real histories: commits that skipped the hooks (`--no-verify`) are
caught, each with exit 1 and a message naming the cause; a clean branch passes."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from gitcoord.git.changes import range_patch_id, staged_patch_id
from gitcoord.store.approvals import approval_ref
from gitcoord.store.localstate import rules_hash
from tests.gitenv import Agent, Result
from tests.hookenv import BASE_CONFIG, RULES, Team, commit, make_team, run_as_human, write

RULES_HASH = rules_hash(RULES.encode())


@pytest.fixture
def team(tmp_path: Path, env: dict[str, str]) -> Team:
    return make_team(tmp_path, env)


def sneak(agent: Agent, message: str, *files: tuple[str, str], rules: str = RULES_HASH) -> None:
    """Commit without the hooks (`--no-verify`) but with the trailers they would add: an
    agent that skips the checks and claims to have read the rules."""
    for rel, content in files:
        write(agent, rel, content)
        agent.git("add", "--", rel)
    agent.git(
        "commit", "-q", "--no-verify", "-m", message,
        "--trailer", f"Gitcoord-Agent: {agent.environ()['GITCOORD_AGENT']}",
        "--trailer", f"Gitcoord-Rules: {rules}",
    )  # fmt: skip


def ci(agent: Agent, *args: str) -> Result:
    return agent.gitcoord("ci", *args)


def ci_json(agent: Agent, *args: str) -> dict[str, Any]:
    res = ci(agent, "--json", *args)
    assert res.rc in (0, 1), res.err
    data: dict[str, Any] = res.json()
    assert data["summary"]["passed"] is (res.rc == 0)
    return data


def test_clean_branch_passes(team: Team) -> None:
    bob = team.join("bob")
    assert commit(bob, "docs", ("docs/guide.md", "better\n")).rc == 0
    res = ci(bob)
    assert res.rc == 0, res.out + res.err
    assert res.out.startswith("gitcoord ci: passed: 1 commit(s) in ")
    assert res.out.endswith(" checked against origin/main: 0 refused, 0 warning(s)\n")
    data = ci_json(bob)
    assert data["findings"] == [] and data["commits"] == 1 and data["behind"] == 0


def test_branch_behind_the_base_fails_until_rebased(team: Team) -> None:
    alice, bob = team.join("alice"), team.join("bob")
    assert commit(alice, "a", ("docs/a.md", "1\n")).rc == 0
    assert alice.run("git", "push", "-q", "origin", "main").rc == 0
    assert commit(bob, "b", ("docs/b.md", "2\n")).rc == 0
    res = ci(bob)
    assert res.rc == 1
    assert res.out.startswith(
        "gitcoord: refused by sync: the branch is 1 commit(s) behind origin/main "
        "([sync] max_behind = 0)\n"
    )
    assert "  fix: git pull --rebase origin main   (or: git merge origin/main)\n" in res.out
    assert bob.run("git", "pull", "-q", "--rebase", "origin", "main").rc == 0
    assert ci(bob).rc == 0


def test_foreign_claims_deletion_and_rename_fail(team: Team) -> None:
    alice, bob = team.join("alice"), team.join("bob")
    assert alice.claim("src/api.py", "src/db.py", "docs/new.md", "-r", "auth rewrite").rc == 0
    bob.git("rm", "-q", "src/api.py")
    sneak(bob, "drop api")
    bob.git("mv", "src/db.py", "src/store.py")
    sneak(bob, "rename db")
    bob.git("mv", "README.md", "docs/new.md")
    sneak(bob, "move readme")
    res = ci(bob)
    assert res.rc == 1
    assert res.out.count("gitcoord: refused by claims: commit ") == 3
    for path in ("src/api.py", "src/db.py", "docs/new.md"):
        assert f"by bob: {path} is claimed by alice (write claim on {path}, expires in " in res.out
    assert "git claim --wait src/api.py" in res.out
    data = ci_json(bob)
    assert [(f["check"], f["path"], f["subject"], f["agent"]) for f in data["findings"]] == [
        ("claims", "src/api.py", "alice", "bob"),
        ("claims", "src/db.py", "alice", "bob"),
        ("claims", "docs/new.md", "alice", "bob"),
    ]
    assert alice.claim("-d", "--all").rc == 0
    assert ci(bob).rc == 0


def test_require_needs_a_claim_of_the_commits_agent(tmp_path: Path, env: dict[str, str]) -> None:
    team = make_team(tmp_path, env, BASE_CONFIG + 'require = ["migrations/"]\n')
    bob = team.join("bob")
    sneak(bob, "migration", ("migrations/001.sql", "create table t;\n"))
    res = ci(bob)
    assert res.rc == 1
    assert (
        "by bob: migrations/001.sql needs a write claim of mine ([claims] require 'migrations/')"
        in res.out
    )
    assert bob.claim("migrations/").rc == 0
    assert ci(bob).rc == 0


def test_commit_without_trailers_is_matched_by_author_email(team: Team) -> None:
    """No trailer: the agent is the author email, matched against the claims' agents."""
    alice, bob = team.join("alice"), team.join("bob")
    alice.extra["GITCOORD_AGENT"] = "alice@example.com"  # alice claims under her email
    assert alice.claim("src/").rc == 0
    alice.commit_file("src/api.py", "mine\n")  # --no-verify: no trailers at all
    data = ci_json(alice)
    assert [(f["check"], f["agent"]) for f in data["findings"]] == [
        ("rules", "alice@example.com")
    ]  # her own claim is no conflict; the missing trailers are
    bob.commit_file("src/db.py", "theirs\n")
    claims = [f for f in ci_json(bob)["findings"] if f["check"] == "claims"]
    assert [(f["path"], f["agent"], f["subject"]) for f in claims] == [
        ("src/db.py", "bob@example.com", "alice@example.com")
    ]


def test_missing_and_stale_rules_acknowledgement_fail(team: Team) -> None:
    bob = team.join("bob")
    bob.commit_file("docs/a.md", "1\n")  # --no-verify skips commit-msg too: no trailers
    res = ci(bob)
    assert res.rc == 1
    assert "by bob@example.com lacks the Gitcoord-Agent and Gitcoord-Rules trailer(s): " in (
        res.out
    )
    assert "fix: gitcoord hooks install && gitcoord rules --ack, then rewrite" in res.out
    bob.git("reset", "-q", "--hard", "origin/main")

    sneak(bob, "old rules", ("docs/b.md", "2\n"), rules="sha256:0000000000000000")
    res = ci(bob)
    assert res.rc == 1
    assert (
        f"by bob acknowledged RULES.md at sha256:0000000000000000, but {RULES_HASH} was in force"
        in res.out
    )
    bob.git("reset", "-q", "--hard", "origin/main")

    # A commit that changes the rules may carry the new hash. The commits after it may
    # carry the base's (the rules in force, which the hooks read) or the branch's new one.
    new_rules = RULES + "3. Small commits.\n"
    new_hash = rules_hash(new_rules.encode())
    sneak(bob, "rules", ("RULES.md", new_rules), rules=new_hash)
    sneak(bob, "after", ("docs/c.md", "3\n"), rules=RULES_HASH)
    sneak(bob, "later", ("docs/d.md", "4\n"), rules=new_hash)
    assert [f for f in ci_json(bob)["findings"] if f["check"] == "rules"] == []
    sneak(bob, "stale", ("docs/e.md", "5\n"), rules="sha256:1111111111111111")
    rules = [f for f in ci_json(bob)["findings"] if f["check"] == "rules"]
    assert len(rules) == 1 and f"but {RULES_HASH} was in force" in rules[0]["message"]


def test_a_branch_cannot_switch_its_own_checks_off(team: Team) -> None:
    alice, bob = team.join("alice"), team.join("bob")
    assert alice.claim("src/api.py").rc == 0
    relaxed = BASE_CONFIG + '[checks]\nclaims = "off"\nguards = "off"\n'
    sneak(bob, "relax", ("gitcoord.toml", relaxed), ("src/api.py", "x\n"))
    assert bob.gitcoord("status").rc == 0  # the working tree now says: no checks
    data = ci_json(bob)
    assert [(f["check"], f["path"]) for f in data["findings"]] == [
        ("claims", "src/api.py"),
        ("guards", "gitcoord.toml"),
    ]


def test_rules_check_off_skips_trailers(tmp_path: Path, env: dict[str, str]) -> None:
    team = make_team(tmp_path, env, BASE_CONFIG + '[checks]\nrules = "off"\n')
    bob = team.join("bob")
    bob.commit_file("docs/a.md", "1\n")
    assert ci(bob).rc == 0


def test_unapproved_guarded_change_fails_until_a_human_approves_that_change(team: Team) -> None:
    lead, bob = team.join("lead"), team.join("bob")
    config = (bob.path / "gitcoord.toml").read_text()
    tuned = config + "# tuned\n"
    sneak(bob, "tune", ("gitcoord.toml", tuned))
    res = ci(bob)
    assert res.rc == 1
    assert (
        "by bob: gitcoord.toml needs a human's approval (guard '/gitcoord.toml'): "
        "no approval recorded" in res.out
    )
    assert "a human other than its author stages the same change and runs `gitcoord approve`" in (
        res.out
    )

    # A reviewer stages the same change in their clone and approves it: published remotely.
    write(lead, "gitcoord.toml", tuned)
    lead.git("add", "gitcoord.toml")
    approved = run_as_human(lead, "gitcoord", "approve", "--json")
    assert approved.rc == 0, approved.err
    info = approved.json()
    assert info["published"] is True
    assert info["ref"] == approval_ref(info["patch_id"], info["approver"])
    assert lead.git("ls-remote", "origin", info["ref"]).split()[1] == info["ref"]
    again = run_as_human(lead, "gitcoord", "approve")
    assert again.rc == 0 and f"already published: {info['ref']}" in again.out
    assert ci(bob).rc == 0

    # The same paths changed differently: the approval does not cover it.
    write(bob, "gitcoord.toml", config + "# tuned differently\n")
    bob.git("add", "gitcoord.toml")
    bob.git("commit", "-q", "--no-verify", "--amend", "--no-edit")
    res = ci(bob)
    assert res.rc == 1
    assert "gitcoord.toml needs a human's approval (guard '/gitcoord.toml'): the change " in (
        res.out
    )
    assert "differs from the approved one" in res.out


def test_approval_by_the_committing_agent_does_not_count(team: Team) -> None:
    bob, lead = team.join("bob"), team.join("lead")
    bob.extra["GITCOORD_AGENT"] = "bob@example.com"  # the agent is the approver's identity
    tuned = (bob.path / "gitcoord.toml").read_text() + "# tuned\n"
    write(bob, "gitcoord.toml", tuned)
    bob.git("add", "gitcoord.toml")
    assert run_as_human(bob, "gitcoord", "approve").rc == 0
    sneak(bob, "tune")
    assert ci(bob).rc == 1
    # bob's own approval does not stand in the way of a reviewer's (0.3: one ref per change,
    # so the reviewer's was "already published" and never counted).
    write(lead, "gitcoord.toml", tuned)
    lead.git("add", "gitcoord.toml")
    reviewed = run_as_human(lead, "gitcoord", "approve", "--json")
    assert reviewed.rc == 0, reviewed.err
    assert reviewed.json()["published"] is True
    assert ci(bob).rc == 0


def test_block_tier_path_always_fails(tmp_path: Path, env: dict[str, str]) -> None:
    extra = '\n[[guard]]\npaths = ["secrets/**"]\ntier = "block"\nwhy = "no credentials"\n'
    team = make_team(tmp_path, env, BASE_CONFIG + extra)
    bob = team.join("bob")
    sneak(bob, "key", ("secrets/prod.key", "k\n"))
    res = ci(bob)
    assert res.rc == 1
    assert "refused by guards: commit " in res.out
    assert "by bob: secrets/prod.key is blocked (guard 'secrets/**')\n  why: no credentials\n" in (
        res.out
    )
    assert "  fix: drop the change to secrets/prod.key: git rebase -i " in res.out


def test_role_writing_outside_its_patterns_fails(tmp_path: Path, env: dict[str, str]) -> None:
    roles = '[roles.tests]\nwrite = ["tests/**"]\n[agents]\n"bob" = "tests"\n'
    team = make_team(tmp_path, env, BASE_CONFIG + roles)
    bob = team.join("bob")
    sneak(bob, "test", ("tests/test_api.py", "def test(): pass\n"))
    assert ci(bob).rc == 0
    sneak(bob, "api", ("src/api.py", "changed\n"))
    res = ci(bob)
    assert res.rc == 1
    assert "by bob: src/api.py is outside role 'tests', which may write only: tests/**" in res.out


def test_warn_mode_reports_and_passes(tmp_path: Path, env: dict[str, str]) -> None:
    team = make_team(tmp_path, env, BASE_CONFIG + '[checks]\nclaims = "warn"\n')
    alice, bob = team.join("alice"), team.join("bob")
    assert alice.claim("src/api.py").rc == 0
    sneak(bob, "api", ("src/api.py", "x\n"))
    res = ci(bob)
    assert res.rc == 0
    assert "gitcoord: warning by claims: commit " in res.out
    assert res.out.endswith(": 0 refused, 1 warning(s)\n")


def test_explicit_range_and_bad_range(team: Team) -> None:
    alice, bob = team.join("alice"), team.join("bob")
    assert alice.claim("src/api.py").rc == 0
    sneak(bob, "api", ("src/api.py", "x\n"))
    sneak(bob, "docs", ("docs/guide.md", "y\n"))
    assert ci(bob, "--range", "HEAD~1..HEAD").rc == 0
    assert ci(bob, "--range", "HEAD~2..HEAD").rc == 1
    bad = ci(bob, "--range", "nosuch..HEAD")
    assert bad.rc == 2 and "'nosuch' is not a commit in this repository" in bad.err


def test_a_commit_whose_message_holds_the_log_separators_is_still_checked(team: Team) -> None:
    """Control characters in a trailer (or a name) cannot shift the fields of the log CI
    reads: such a commit was once skipped, its change unchecked."""
    alice, bob = team.join("alice"), team.join("bob")
    assert alice.claim("src/api.py").rc == 0
    write(bob, "src/api.py", "x\n")
    bob.git("add", "--", "src/api.py")
    message = team.tmp / "message"
    message.write_text(f"api\n\nGitcoord-Agent: bob\x1f\x1e\nGitcoord-Rules: {RULES_HASH}\n")
    bob.git("commit", "-q", "--no-verify", "-F", str(message))
    data = ci_json(bob)
    assert data["commits"] == 1
    assert [(f["check"], f["path"]) for f in data["findings"]] == [("claims", "src/api.py")]


def test_shallow_clone_is_a_usage_error(team: Team) -> None:
    shallow = team.tmp / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", team.url, str(shallow)], env=team.env, check=True
    )
    proc = subprocess.run(
        ["gitcoord", "ci"], cwd=shallow, env=team.env, capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr == (
        "gitcoord: this is a shallow clone: gitcoord ci needs the branch's full history\n"
        '  fix: git fetch --unshallow   (GitHub: fetch-depth: 0; GitLab: GIT_DEPTH: "0")\n'
    )


def test_unreachable_remote_fails_closed(team: Team) -> None:
    bob = team.join("bob")
    bob.git("remote", "set-url", "origin", (team.tmp / "gone.git").as_uri())
    res = ci(bob)
    assert res.rc == 3
    assert res.err.startswith("gitcoord: cannot reach remote 'origin': ")
    write(bob, "gitcoord.toml", (bob.path / "gitcoord.toml").read_text() + "# tuned\n")
    bob.git("add", "gitcoord.toml")
    approve = run_as_human(bob, "gitcoord", "approve")
    assert approve.rc == 3
    assert approve.err.startswith(
        "gitcoord: approval recorded locally (the hooks accept the commit) but not published, "
        "so CI will refuse it: cannot reach remote 'origin': "
    )


def test_patch_id_of_a_staged_change_equals_that_of_its_commit(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    bob = team.join("bob")
    for key, value in team.env.items():
        monkeypatch.setenv(key, value)
    write(bob, "src/api.py", "api\nchanged\n")
    (bob.path / "logo.bin").write_bytes(bytes(range(256)))
    bob.git("add", "-A")
    bob.git("rm", "-q", "src/db.py")
    bob.git("mv", "docs/guide.md", "docs/moved.md")
    paths = ["docs/guide.md", "docs/moved.md", "logo.bin", "src/api.py", "src/db.py"]
    staged = staged_patch_id(str(bob.path), paths)
    bob.git("commit", "-q", "--no-verify", "-m", "many")
    assert range_patch_id(str(bob.path), "HEAD~1", "HEAD", paths) == staged
    assert range_patch_id(str(bob.path), "HEAD~1", "HEAD", paths[:2]) != staged


# -- the CI templates ------------------------------------------------------------------------


def run_steps(template: str) -> list[tuple[str, str]]:
    """(name, script) of each `run:` step of a GitHub workflow: a minimal reader for the
    one layout our template uses (`- name:` then `run: CMD` or `run: |` and a block)."""
    steps: list[tuple[str, str]] = []
    lines = template.splitlines()
    name = ""
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        if stripped.startswith("- name:"):
            name = stripped[len("- name:") :].strip()
        elif stripped.startswith("run:"):
            value = stripped[len("run:") :].strip()
            if value == "|":
                indent = len(lines[i]) - len(lines[i].lstrip())
                block = []
                while i + 1 < len(lines) and (
                    not lines[i + 1].strip()
                    or len(lines[i + 1]) - len(lines[i + 1].lstrip()) > indent
                ):
                    i += 1
                    block.append(lines[i].strip())
                value = "\n".join(block)
            steps.append((name, value))
        i += 1
    return steps


def test_github_template_commands_in_a_fresh_clone(team: Team) -> None:
    alice, bob = team.join("alice"), team.join("bob")
    assert alice.claim("src/api.py", "-r", "auth rewrite").rc == 0
    bob.git("checkout", "-q", "-b", "feature")
    assert commit(bob, "docs", ("docs/guide.md", "better\n")).rc == 0
    sneak(bob, "api", ("src/api.py", "x\n"))
    bob.git("push", "-q", "--no-verify", "origin", "feature")

    # What actions/checkout leaves: a clone at the branch head, no identity, no claim refs.
    runner = team.tmp / "runner"
    subprocess.run(["git", "clone", "-q", team.url, str(runner)], env=team.env, check=True)
    subprocess.run(
        ["git", "-C", str(runner), "checkout", "-q", "--detach", "origin/feature"],
        env=team.env,
        check=True,
    )
    template = (Path(__file__).parent.parent / "templates" / "ci" / "github.yml").read_text()
    assert "fetch-depth: 0" in template
    steps = run_steps(template)
    assert [n for n, _ in steps] == [
        "Install gitcoord",
        "Fetch claims, approvals and the base branch",
        "gitcoord ci",
    ]
    env = {**team.env, "GITHUB_ACTIONS": "true", "GITCOORD_BASE": "main"}
    results = []
    for _name, script in steps[1:]:  # gitcoord is installed already
        proc = subprocess.run(
            ["bash", "-e", "-c", script], cwd=runner, env=env, capture_output=True, text=True
        )
        results.append(proc)
    fetched, checked = results
    assert fetched.returncode == 0, fetched.stderr
    assert subprocess.run(
        ["git", "-C", str(runner), "for-each-ref", "refs/claims/"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert checked.returncode == 1, checked.stderr
    lines = checked.stdout.splitlines()
    assert lines[0].startswith("::error file=src/api.py,title=gitcoord claims::commit ") and lines[
        0
    ].endswith(
        '%0Awhy: alice\'s reason: "auth rewrite"; RULES.md:3: Claim before you change: run '
        "`git claim PATH` first.%0Afix: git claim --wait src/api.py   (or drop the change to "
        f"src/api.py: git rebase -i {bob.git('merge-base', 'HEAD', 'main').strip()[:10]})"
    )
    assert "by bob: src/api.py is claimed by alice (write claim on src/api.py" in lines[0]
    assert lines[1].startswith("gitcoord ci: failed: 2 commit(s) in ")
    assert len(lines) == 2

    # A merge queue (the merge_group trigger) names its base as a full ref.
    assert "\n  merge_group:\n" in template
    queued = {**env, "GITCOORD_BASE": "refs/heads/main"}
    again = [
        subprocess.run(
            ["bash", "-e", "-c", script], cwd=runner, env=queued, capture_output=True, text=True
        )
        for _name, script in steps[1:]
    ]
    assert again[0].returncode == 0, again[0].stderr
    assert (again[1].returncode, again[1].stdout) == (1, checked.stdout)


def script_lines(template: str) -> list[str]:
    """The `script:` items of our GitLab job (plain items and `>-` folded ones)."""
    lines = template.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "script:") + 1
    items: list[list[str]] = []
    for line in lines[start:]:
        stripped = line.strip()
        if stripped.startswith("- "):
            value = stripped[2:]
            items.append([] if value == ">-" else [value])
        elif stripped and line.startswith("      "):
            items[-1].append(stripped)  # a folded block joins its lines with spaces
        elif stripped:
            break
    return [" ".join(parts) for parts in items]


def test_gitlab_template_commands_in_a_fresh_clone(team: Team) -> None:
    bob = team.join("bob")
    bob.git("checkout", "-q", "-b", "feature")
    bob.commit_file("docs/a.md", "no trailers\n")
    bob.git("push", "-q", "--no-verify", "origin", "feature")
    runner = team.tmp / "runner"
    subprocess.run(["git", "clone", "-q", team.url, str(runner)], env=team.env, check=True)
    subprocess.run(
        ["git", "-C", str(runner), "checkout", "-q", "--detach", "origin/feature"],
        env=team.env,
        check=True,
    )
    template = (Path(__file__).parent.parent / "templates" / "ci" / "gitlab.yml").read_text()
    assert 'GIT_DEPTH: "0"' in template
    items = script_lines(template)
    assert items[1] == 'python -m pip install "$GITCOORD_INSTALL"'
    script = "\n".join(item for i, item in enumerate(items) if i != 1)  # installed already
    env = {**team.env, "CI_DEFAULT_BRANCH": "main"}
    proc = subprocess.run(
        ["bash", "-e", "-c", script], cwd=runner, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("gitcoord: refused by rules: commit ")
    assert "by bob@example.com lacks the Gitcoord-Agent and Gitcoord-Rules trailer(s)" in (
        proc.stdout
    )
    assert proc.stdout.splitlines()[-1].startswith("gitcoord ci: failed: 1 commit(s) in ")


def test_init_ci_writes_templates_idempotently(team: Team) -> None:
    bob = team.join("bob")
    first = bob.gitcoord("init", "--ci", "github")
    assert first.rc == 0, first.err
    assert first.out.splitlines()[-2] == ".github/workflows/gitcoord.yml: written"
    template = (Path(__file__).parent.parent / "templates" / "ci" / "github.yml").read_text()
    target = bob.path / ".github" / "workflows" / "gitcoord.yml"
    shipped = target.read_text()  # the template, its install line filled in (test_setup.py)
    install, steps = "# What pip installs", "    steps:"
    assert shipped.split(install)[0] == template.split(install)[0]
    assert shipped.split(steps)[1] == template.split(steps)[1]
    again = bob.gitcoord("init", "--ci", "github")
    assert again.out.splitlines()[-1] == ".github/workflows/gitcoord.yml: unchanged"

    target.write_text(shipped + "# mine\n")
    refused = bob.gitcoord("init", "--ci", "github")
    assert refused.rc == 1
    assert "gitcoord: .github/workflows/gitcoord.yml differs from gitcoord's github template" in (
        refused.err
    )
    assert "fix: gitcoord init --ci github --force" in refused.err
    assert target.read_text() == shipped + "# mine\n"
    forced = bob.gitcoord("init", "--ci", "github", "--force")
    assert forced.rc == 0 and target.read_text() == shipped

    gitlab = bob.gitcoord("init", "--ci", "gitlab")
    assert gitlab.rc == 0
    assert gitlab.out.splitlines()[-2] == (
        ".gitlab-ci.gitcoord.yml: written; include it from .gitlab-ci.yml:  "
        "include: [{local: .gitlab-ci.gitcoord.yml}]"
    )
    assert (
        "git fetch --no-tags origin '+refs/claims/*:refs/claims/*'"
        in (bob.path / ".gitlab-ci.gitcoord.yml").read_text()
    )
    bad = bob.gitcoord("init", "--ci", "jenkins")
    assert bad.rc == 2


def test_ci_help_has_an_example(alice: Agent) -> None:
    res = alice.gitcoord("ci", "--help")
    assert res.rc == 0 and "gitcoord ci --base main --json" in res.out


def test_github_annotation_escapes_workflow_command_syntax() -> None:
    from gitcoord.ci.report import CiFinding, github_annotation
    from gitcoord.policy.decisions import Finding

    finding = Finding("roles", "warn", "a,b:c.py", "tests", "100% outside", "why", "fix")
    assert github_annotation(CiFinding(finding)) == (
        "::warning file=a%2Cb%3Ac.py,title=gitcoord roles::100%25 outside%0Awhy: why%0Afix: fix"
    )
    sync = Finding("sync", "enforce", "main", "max_behind = 0", "behind", "w", "f")
    assert github_annotation(CiFinding(sync)) == (
        "::error title=gitcoord sync::behind%0Awhy: w%0Afix: f"
    )
    assert github_annotation(CiFinding(finding._replace(mode="monitor"))) is None
