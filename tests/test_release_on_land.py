"""`[claims] release_on_land`: a holder's claims on the paths its commits changed are released
when those commits reach the base branch, by the server hooks (after the ref update) or by
`gitcoord ci` on the base, with a "release" entry naming the landing commit."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from gitcoord.core.auditlog import LogEntry
from gitcoord.core.refnames import WRITE, path_key
from gitcoord.server.landing import SERVER_AGENT
from tests.gitenv import Agent, clone, make_bare, seed
from tests.remote_state import remote_claims, remote_log
from tests.serverside import gitcoord_server, make_claim, write_commit

POLICY = (
    '[agents]\nalice = { emails = ["alice@example.com"] }\nbob = { emails = ["bob@example.com"] }\n'
)
ON = "[claims]\nrelease_on_land = true\n" + POLICY


def _team(
    tmp_path: Path, env: dict[str, str], policy: str, hooks: bool
) -> tuple[Path, Agent, Agent]:
    bare = make_bare(tmp_path / "team.git", env)
    if hooks:
        res = gitcoord_server(env, "install", str(bare))
        assert res.rc == 0, res.err
    alice = clone(f"file://{bare}", tmp_path / "alice", "alice", env)
    seed(alice)
    alice.set_policy(policy)
    alice.git("push", "-q", "--no-verify", "origin", "HEAD:main")
    bob = clone(f"file://{bare}", tmp_path / "bob", "bob", env)
    for who, path in ((alice, "src/api.py"), (bob, "docs/guide.md")):
        res = who.claim(path)
        assert res.rc == 0, res.err
    return bare, alice, bob


def _claims(bare: Path) -> dict[str, str]:
    """The server's claim refs -> OIDs."""
    return {c.ref: c.oid for c in remote_claims(bare)}


def _releases(bare: Path, by: str) -> list[LogEntry]:
    """The "release" entries `by`'s audit chain on the server holds."""
    return [e for e in remote_log(bare) if e.agent == by and e.event == "release"]


def _land(alice: Agent) -> tuple[str, str, str]:
    """alice changes the file she claimed and pushes it to main: (old, new, push stderr)."""
    old = alice.git("rev-parse", "HEAD").strip()
    alice.commit_file("src/api.py", "changed\n")
    new = alice.git("rev-parse", "HEAD").strip()
    res = alice.run("git", "push", "--no-verify", "origin", "HEAD:main")
    assert res.rc == 0, res.err
    return old, new, res.err


ALICE_REF = WRITE + path_key("src/api.py")
BOB_REF = WRITE + path_key("docs/guide.md")


def test_server_releases_the_landed_claim_and_logs_the_commit(
    tmp_path: Path, env: dict[str, str]
) -> None:
    bare, alice, _bob = _team(tmp_path, env, ON, hooks=True)
    assert set(_claims(bare)) == {ALICE_REF, BOB_REF}
    _, landed, said = _land(alice)
    assert set(_claims(bare)) == {BOB_REF}  # bob's claim stays
    assert (
        f"released alice's write claim on src/api.py: its work landed on main in {landed[:12]}"
        in said
    )
    [entry] = _releases(bare, SERVER_AGENT)
    assert entry.commit == landed and entry.reason == "landed on main"
    assert [(c["agent"], c["path"]) for c in entry.claims] == [("alice", "src/api.py")]
    # What the server wrote is a valid log for every client: `gitcoord log` shows it.
    shown = alice.gitcoord("log", "--json")
    assert shown.rc == 0, shown.err
    assert landed in shown.out
    # The release went through the server's own checks; a later claim push is accepted.
    again = alice.claim("src/api.py")
    assert again.rc == 0, again.err


def test_server_releases_nothing_when_off(tmp_path: Path, env: dict[str, str]) -> None:
    bare, alice, _bob = _team(tmp_path, env, POLICY, hooks=True)
    _, _, said = _land(alice)
    assert set(_claims(bare)) == {ALICE_REF, BOB_REF}
    assert "released" not in said
    assert _releases(bare, SERVER_AGENT) == []


def test_a_claim_renewed_before_the_delete_stays(tmp_path: Path, env: dict[str, str]) -> None:
    """A git wrapper on the hook's PATH (over file:// the hooks inherit the pusher's
    environment) renews alice's claim on the server right before the release's
    update-ref: the leased delete fails, and the renewed claim is not removed."""
    bare, alice, _bob = _team(tmp_path, env, ON, hooks=True)
    held = _claims(bare)
    [claim] = [c for c in remote_claims(bare) if c.ref == ALICE_REF]
    renewed = write_commit(
        bare, make_claim("src/api.py", "alice", session=claim.session).message(), env
    )
    # git puts its exec path first on every hook's PATH: the wrapper stands in for `git`
    # in a copy of that directory, named by GIT_EXEC_PATH for alice's push only.
    real = shutil.which("git")
    exec_path = Path(
        subprocess.run(
            ["git", "--exec-path"], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    wrapped = tmp_path / "git-core"
    wrapped.mkdir()
    for tool in exec_path.iterdir():
        if tool.name != "git":
            (wrapped / tool.name).symlink_to(tool)
    once = tmp_path / "once"
    (wrapped / "git").write_text(
        "#!/bin/sh\n"
        f'if [ -n "$GITCOORD_RELEASING" ] && [ "$1" = update-ref ] && [ -e {once} ]; then\n'
        f"  rm {once}\n"
        f"  GITCOORD_RELEASING= {real} --git-dir={bare} \\\n"
        f"    update-ref {ALICE_REF} {renewed} {claim.oid}\n"
        "fi\n"
        f'exec {real} "$@"\n'
    )
    (wrapped / "git").chmod(0o755)
    once.touch()
    alice.extra["GIT_EXEC_PATH"] = str(wrapped)
    _land(alice)
    assert not once.exists()  # the wrapper did renew it
    assert _claims(bare) == {**held, ALICE_REF: renewed}
    assert _releases(bare, SERVER_AGENT) == []


def _ci(agent: Agent, **env: str) -> str:
    """`gitcoord ci` in `agent`'s clone, on the base tip, as a CI job of a push to it."""
    agent.git("fetch", "-q", "origin")
    agent.git("checkout", "-q", "--detach", "origin/main")
    res = agent.run(
        "env",
        *(f"{k}={v}" for k, v in env.items()),
        "gitcoord",
        "ci",
        "--base",
        "main",
        "--target",
        "main",
    )
    assert res.rc == 0, res.err  # the landed work passes the checks; only releasing is told
    return res.err


def test_ci_on_the_base_releases_what_landed(tmp_path: Path, env: dict[str, str]) -> None:
    """No server hooks: the push lands, the claim stays, and `gitcoord ci` on main (a GitLab
    push pipeline naming the push's before commit) releases it."""
    bare, alice, bob = _team(tmp_path, env, ON, hooks=False)
    old, landed, said = _land(alice)
    assert "released" not in said
    assert set(_claims(bare)) == {ALICE_REF, BOB_REF}
    told = _ci(bob, GITLAB_CI="true", CI_COMMIT_BEFORE_SHA=old)
    assert f"released alice's write claim on src/api.py: its work landed in {landed[:12]}" in told
    assert set(_claims(bare)) == {BOB_REF}
    [entry] = _releases(bare, "gitcoord-ci")
    assert entry.commit == landed
    # Run again (a re-run job): nothing left to release, bob's claim stays.
    assert "released" not in _ci(bob, GITLAB_CI="true", CI_COMMIT_BEFORE_SHA=old)
    assert set(_claims(bare)) == {BOB_REF}
    assert len(_releases(bare, "gitcoord-ci")) == 1


def test_ci_releases_nothing_when_off(tmp_path: Path, env: dict[str, str]) -> None:
    bare, alice, bob = _team(tmp_path, env, POLICY, hooks=False)
    _land(alice)
    assert "released" not in _ci(bob)  # the tip's first parent: alice's commit
    assert set(_claims(bare)) == {ALICE_REF, BOB_REF}
