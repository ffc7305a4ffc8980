"""Server hooks in a real bare repository, pushed to over file:// and git:// (git daemon).

The gitolite checks read GL_USER from the hook's environment. Over file:// the hooks inherit
the pusher's environment, so setting GL_USER on a local `git push` stands in for gitolite
here; tests/servers' gitolite fixture covers the real thing.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.gitenv import Agent, clone, make_bare, seed
from tests.serverside import gitcoord_server, make_claim, write_commit


@pytest.fixture
def served(served_repo: Path, env: dict[str, str]) -> Path:
    """The bare repository behind `remote_url`, with gitcoord's server hooks installed."""
    bare = served_repo
    res = gitcoord_server(env, "install", str(bare))
    assert res.rc == 0, res.err
    return bare


def _remote_ref(bare: Path, ref: str, env: dict[str, str]) -> str:
    res = subprocess.run(
        ["git", "rev-parse", "--verify", "-q", ref],
        cwd=bare,
        env=env,
        capture_output=True,
        text=True,
    )
    return res.stdout.strip()


# -- install / uninstall ---------------------------------------------------------------------


def test_install_is_idempotent_and_uninstall_removes_only_ours(
    tmp_path: Path, env: dict[str, str]
) -> None:
    bare = make_bare(tmp_path / "team.git", env)
    first = gitcoord_server(env, "install", str(bare), "--admin", "root", "--json")
    assert first.rc == 0, first.err
    data = first.json()
    assert [(h["hook"], h["action"]) for h in data["hooks"]] == [
        ("pre-receive", "installed"),
        ("reference-transaction", "installed"),
    ]
    assert data["settings"]["admins"] == ["root"]
    shim = (bare / "hooks" / "pre-receive").read_text()
    assert "# gitcoord-server-hook 1" in shim and "gitcoord.server.hook import console_main" in shim
    assert " -S -P -c " in shim and shim.rstrip().endswith('pre-receive "$@"')

    again = gitcoord_server(env, "install", str(bare), "--json").json()
    assert [h["action"] for h in again["hooks"]] == ["unchanged", "unchanged"]
    assert again["settings"]["admins"] == ["root"]  # options not given are kept

    gone = gitcoord_server(env, "uninstall", str(bare), "--json").json()
    assert [h["action"] for h in gone["hooks"]] == ["removed", "removed"]
    assert not (bare / "hooks" / "pre-receive").exists()
    twice = gitcoord_server(env, "uninstall", str(bare), "--json").json()
    assert [h["action"] for h in twice["hooks"]] == ["absent", "absent"]

    back = gitcoord_server(env, "install", str(bare), "--json").json()
    assert [h["action"] for h in back["hooks"]] == ["installed", "installed"]


def test_install_respects_hooks_path_and_never_clobbers_a_foreign_hook(
    tmp_path: Path, env: dict[str, str]
) -> None:
    bare = make_bare(tmp_path / "team.git", env)
    subprocess.run(
        ["git", "config", "core.hooksPath", "custom-hooks"], cwd=bare, env=env, check=True
    )
    res = gitcoord_server(env, "install", str(bare), "--json")
    assert res.rc == 0, res.err
    assert res.json()["hooks_dir"] == str(bare / "custom-hooks")
    assert (bare / "custom-hooks" / "reference-transaction").exists()
    assert not (bare / "hooks" / "pre-receive").exists()

    other = make_bare(tmp_path / "other.git", env)
    (other / "hooks").mkdir(exist_ok=True)
    (other / "hooks" / "pre-receive").write_text("#!/bin/sh\nexit 0\n")
    refused = gitcoord_server(env, "install", str(other))
    assert refused.rc == 1
    assert "pre-receive exists and is not gitcoord's" in refused.err
    assert "fix: move it aside" in refused.err
    assert (other / "hooks" / "pre-receive").read_text() == "#!/bin/sh\nexit 0\n"

    not_bare = gitcoord_server(env, "install", str(tmp_path))
    assert not_bare.rc == 2 and "not a git repository" in not_bare.err


def test_user_map_file_is_validated(tmp_path: Path, env: dict[str, str]) -> None:
    bare = make_bare(tmp_path / "team.git", env)
    good = tmp_path / "users.txt"
    good.write_text("# gitolite user, then agents\ndave dave-bot-* dave\n")
    res = gitcoord_server(env, "install", str(bare), "--user-map", str(good), "--json")
    assert res.rc == 0, res.err
    assert res.json()["settings"]["user_map"] == {"dave": ["dave-bot-*", "dave"]}
    bad = tmp_path / "bad.txt"
    bad.write_text("lonely\n")
    res = gitcoord_server(env, "install", str(bare), "--user-map", str(bad))
    assert res.rc == 2 and "bad.txt:1: expected `GL_USER AGENT [AGENT...]`" in res.err


# -- protected branches ----------------------------------------------------------------------


def test_force_push_dropping_commits_from_main_is_refused(
    served: Path, alice: Agent, bob: Agent, env: dict[str, str]
) -> None:
    alice.commit_file("docs/guide.md", "alice\n")
    alice.git("push", "-q", "origin", "HEAD:main")
    kept = alice.git("rev-parse", "HEAD").strip()

    bob.commit_file("docs/other.md", "bob\n")
    forced = bob.run("git", "push", "--no-verify", "--force", "origin", "HEAD:main")
    assert forced.rc != 0
    assert "main is protected ([sync] protected); this push would drop commits" in forced.err
    assert "git pull --rebase origin main" in forced.err
    assert _remote_ref(served, "refs/heads/main", env) == kept

    deleted = bob.run("git", "push", "--no-verify", "origin", ":main")
    assert deleted.rc != 0 and "deleting it would drop its commits" in deleted.err
    assert _remote_ref(served, "refs/heads/main", env) == kept

    # An unprotected branch may be rewritten.
    bob.git("push", "-q", "origin", "HEAD:refs/heads/feature")
    bob.git("commit", "-q", "--amend", "--no-verify", "-m", "amended")
    rewritten = bob.run("git", "push", "--force", "origin", "HEAD:refs/heads/feature")
    assert rewritten.rc == 0, rewritten.err


def test_protected_patterns_come_from_gitcoord_toml_on_the_default_branch(
    served: Path, alice: Agent, env: dict[str, str]
) -> None:
    # The server's own list (recorded by the install) no longer names release/*.
    assert gitcoord_server(env, "install", str(served), "--unprotect", "release/*").rc == 0
    (alice.path / "gitcoord.toml").write_text('[sync]\nprotected = ["main", "stable"]\n')
    alice.git("add", "gitcoord.toml")
    alice.git("commit", "-q", "--no-verify", "-m", "config")
    alice.git("push", "-q", "origin", "HEAD:main", "HEAD:refs/heads/stable", "HEAD:release/1")
    alice.git("reset", "-q", "--hard", "HEAD~1")
    stable = alice.run("git", "push", "--force", "origin", "HEAD:stable")
    assert stable.rc != 0 and "stable is protected" in stable.err
    release = alice.run("git", "push", "--force", "origin", "HEAD:release/1")
    assert release.rc == 0, release.err  # no longer protected by this toml


# -- claimed paths ---------------------------------------------------------------------------


def test_push_changing_a_path_someone_else_holds_is_refused_naming_the_holder(
    served: Path, alice: Agent, bob: Agent, env: dict[str, str]
) -> None:
    assert alice.claim("src/api.py", "-r", "fix auth").rc == 0
    before = _remote_ref(served, "refs/heads/main", env)

    bob.commit_file("src/api.py", "bob was here\n")
    pushed = bob.run("git", "push", "--no-verify", "origin", "HEAD:main")
    assert pushed.rc != 0
    assert "gitcoord: refused refs/heads/main: changes paths another agent holds:" in pushed.err
    assert "changes src/api.py: src/api.py is claimed by alice (write, expires in" in pushed.err
    assert 'reason: "fix auth"' in pushed.err
    assert "ask alice to release src/api.py (`git claim -d src/api.py`)" in pushed.err
    assert _remote_ref(served, "refs/heads/main", env) == before

    # Deleting, or renaming away, a held path is a change to it as well.
    bob.git("reset", "-q", "--hard", "origin/main")
    bob.git("rm", "-q", "src/api.py")
    bob.git("commit", "-q", "--no-verify", "-m", "delete")
    assert "changes src/api.py" in bob.run("git", "push", "origin", "HEAD:main").err
    bob.git("reset", "-q", "--hard", "origin/main")
    bob.git("mv", "src/api.py", "src/renamed.py")
    bob.git("commit", "-q", "--no-verify", "-m", "rename")
    assert "changes src/api.py" in bob.run("git", "push", "origin", "HEAD:feature").err

    # The holder's own commits (named by the gitcoord trailer) go through.
    alice.commit_file("src/api.py", "alice\n", message="fix\n\nGitcoord-Agent: alice")
    mine = alice.run("git", "push", "origin", "HEAD:main")
    assert mine.rc == 0, mine.err
    # Paths nobody holds are free.
    bob.git("reset", "-q", "--hard", "origin/main")
    bob.git("pull", "-q", "origin", "main")
    bob.commit_file("docs/guide.md", "bob\n")
    assert bob.run("git", "push", "origin", "HEAD:main").rc == 0


def test_a_pattern_claim_guards_its_matches_on_the_server(
    served: Path, alice: Agent, bob: Agent, env: dict[str, str]
) -> None:
    assert alice.claim("src/*.py", "-r", "python pass").rc == 0
    before = _remote_ref(served, "refs/heads/main", env)
    bob.commit_file("src/db.py", "bob was here\n")
    pushed = bob.run("git", "push", "--no-verify", "origin", "HEAD:main")
    assert pushed.rc != 0
    assert "changes src/db.py: :(glob)src/*.py is claimed by alice" in pushed.err
    assert "(`git claim -d ':(glob)src/*.py'`)" in pushed.err  # a pasteable command
    assert _remote_ref(served, "refs/heads/main", env) == before
    # A claim meeting the pattern is refused by the server's own check too, naming it.
    refused = bob.claim("src/")
    assert refused.rc == 1, refused.err
    assert "src/ may hold paths matched by :(glob)src/*.py" in refused.err
    assert bob.claim("docs/*.md").rc == 0  # apart: granted through the server's hooks


def test_author_email_is_the_identity_without_a_trailer(
    served: Path, alice: Agent, bob: Agent
) -> None:
    # Claim under the email bob's commits carry, as an agent with no gitcoord identity would.
    email = bob.git("var", "GIT_AUTHOR_IDENT").split("<", 1)[1].split(">", 1)[0]
    bob.extra["GITCOORD_AGENT"] = email
    assert bob.claim("src/").rc == 0
    bob.commit_file("src/db.py", "mine\n")
    assert bob.run("git", "push", "origin", "HEAD:main").rc == 0
    alice.commit_file("src/new.py", "alice\n")
    refused = alice.run("git", "push", "origin", "HEAD:refs/heads/alice-work")
    assert f"changes src/new.py: src/ is claimed by {email}" in refused.err


# -- claim refs ------------------------------------------------------------------------------


def test_malformed_claim_refs_are_refused(served: Path, alice: Agent, env: dict[str, str]) -> None:
    def push(oid: str, ref: str) -> str:
        res = alice.run("git", "push", "--no-verify", "origin", f"{oid}:{ref}")
        assert res.rc != 0, f"{ref} accepted"
        assert _remote_ref(served, ref, env) == ""
        return res.err

    head = alice.git("rev-parse", "HEAD").strip()
    err = push(head, "refs/claims/w/aaaaaaaaaaaaaaaaaaaaaaaaaa")
    assert "not a valid claim: its commit carries files" in err  # the shape is judged first

    blob = alice.git("hash-object", "-w", "README.md").strip()
    err = push(blob, "refs/claims/w/bbbbbbbbbbbbbbbbbbbbbbbbbb")
    assert "it points to a blob, not a claim commit" in err

    claim = make_claim("src/api.py", "alice")
    local = alice.path / ".git"
    right = write_commit(local, claim.message(), env)
    err = push(right, "refs/claims/w/cccccccccccccccccccccccccc")
    assert f"a write claim on src/api.py by alice belongs at {claim.ref}" in err

    newer = write_commit(local, claim.message().replace('"format": 1', '"format": 2'), env)
    assert "claim format 2 is newer" in push(newer, claim.ref)

    huge = write_commit(local, claim.message() + "x" * 70_000, env)
    assert "over the 65536-byte limit" in push(huge, claim.ref)

    assert "the log tip is a blob" in push(blob, "refs/claims-log/dddddddddddddddddddddddddd")
    assert "not a gitcoord log entry" in push(head, "refs/claims-log/dddddddddddddddddddddddddd")

    # The well-formed claim at its own ref is accepted.
    ok = alice.run("git", "push", "origin", f"{right}:{claim.ref}")
    assert ok.rc == 0, ok.err


def test_replacing_a_live_claim_of_another_holder_is_refused(
    served: Path, alice: Agent, bob: Agent, env: dict[str, str]
) -> None:
    assert alice.claim("src/api.py").rc == 0
    held = make_claim("src/api.py", "bob")
    oid = write_commit(bob.path / ".git", held.message(), env)
    res = bob.run("git", "push", "--force", "origin", f"{oid}:{held.ref}")
    assert res.rc != 0 and "would replace a live claim: src/api.py is claimed by alice" in res.err


# -- gitolite identities (GL_USER), over file:// --------------------------------------------


@pytest.fixture
def team(tmp_path: Path, env: dict[str, str]) -> dict[str, Agent]:
    """A file:// remote with hooks (admin: root; dave may act as dave-bot-*) and four agents."""
    bare = make_bare(tmp_path / "served" / "team.git", env)
    users = tmp_path / "users.txt"
    users.write_text("dave dave-bot-*\n")
    res = gitcoord_server(env, "install", str(bare), "--admin", "root", "--user-map", str(users))
    assert res.rc == 0, res.err
    agents = {}
    for name in ("alice", "bob", "root", "dave"):
        agent = clone(bare.as_uri(), tmp_path / "agents" / name, name, env)
        agent.extra["GL_USER"] = name
        agents[name] = agent
    seed(agents["alice"])
    for agent in agents.values():
        agent.git("fetch", "-q", "origin")
    return agents


def test_gl_user_may_not_claim_in_another_agents_name(team: dict[str, Agent]) -> None:
    bob = team["bob"]
    bob.extra["GITCOORD_AGENT"] = "alice"
    forged = bob.claim("src/api.py")
    assert forged.rc == 1
    assert "a claim on src/api.py in the name of alice, but you are bob (may act as bob)" in (
        forged.err
    )
    assert "Traceback" not in forged.err
    assert team["alice"].claim("--json").json()["claims"] == []

    dave = team["dave"]
    dave.extra["GITCOORD_AGENT"] = "dave-bot-1"
    mapped = dave.claim("docs/")
    assert mapped.rc == 0, mapped.err
    dave.extra["GITCOORD_AGENT"] = "dave"
    assert (
        "in the name of dave, but you are dave (may act as dave-bot-*)"
        in dave.claim("README.md").err
    )


def test_breaking_needs_an_admin_and_is_recorded(team: dict[str, Agent], tmp_path: Path) -> None:
    alice, bob, root = team["alice"], team["bob"], team["root"]
    assert alice.claim("src/api.py").rc == 0
    refused = bob.claim("--break", "src/api.py", "-r", "mine now")
    assert refused.rc == 1
    assert "breaking alice's live claim on src/api.py needs a server admin; you are bob" in (
        refused.err
    )
    assert [c["agent"] for c in bob.claim("--json").json()["claims"]] == ["alice"]

    broken = root.claim("--break", "src/api.py", "-r", "alice is away")
    assert broken.rc == 0, broken.err
    assert root.claim("--json").json()["claims"] == []
    audit = tmp_path / "served" / "team.git" / "gitcoord" / "audit.jsonl"
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [(r["event"], r["gl_user"], r["admin"], r["claim"]["agent"]) for r in records] == [
        ("break", "root", True, "alice")
    ]

    # Releasing one's own claim is not a break and needs no admin.
    assert bob.claim("docs/").rc == 0
    assert bob.claim("-d", "docs/").rc == 0
    assert len(audit.read_text().splitlines()) == 1
