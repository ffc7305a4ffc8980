"""Rules that once had two implementations now have one; these tests show the layers agree.

(Issue 11, "one of each": the approval format, the commit's agent, the protected-branch
patterns, the claims covering a path, the claim commit's shape.)
"""

from __future__ import annotations

from pathlib import Path

from gitcoord.core.approvals import Approval, parse_approval_message
from gitcoord.store import localstate
from tests.gitenv import Agent
from tests.hookenv import Team, make_team
from tests.serverside import gitcoord_server


def _served_team(tmp_path: Path, env: dict[str, str]) -> tuple[Team, Path]:
    """A team remote (hooks installed in every clone) with the server hooks installed too."""
    team = make_team(tmp_path, env)
    bare = tmp_path / "served" / "team.git"
    res = gitcoord_server(env, "install", str(bare))
    assert res.rc == 0, res.err
    return team, bare


def _rewrite(agent: Agent, n: int) -> None:
    """Replace the clone's last commit by another: pushing it drops one commit."""
    agent.git("reset", "-q", "--hard", "HEAD~1")
    agent.commit_file(f"docs/rewrite-{n}.md", f"{n}\n")


def test_an_approval_reads_back_the_same_from_the_local_file_and_from_the_remote_message(
    tmp_path: Path,
) -> None:
    approval = Approval("p" * 40, "human@example.com", ("gitcoord.toml", "RULES.md"), 1.7e9)
    localstate.record_approval(tmp_path, approval)
    assert localstate.read_approvals(tmp_path) == [approval]
    assert parse_approval_message(approval.message().encode()) == approval
    # A damaged local item and a damaged message approve nothing, alike.
    (tmp_path / localstate.APPROVALS).write_text('[{"patch_id": "x", "paths": "a"}]')
    assert localstate.read_approvals(tmp_path) == []
    assert parse_approval_message(b'x\n\n{"format": 1, "patch_id": "x", "paths": "a"}') is None


def test_a_protected_branch_pattern_is_judged_alike_by_pre_push_and_the_server(
    tmp_path: Path, env: dict[str, str]
) -> None:
    # The default [sync] protected is main and release/*: `*` stops at "/", in the pre-push
    # hook and in the server hooks alike (the server used fnmatch, whose `*` crossed it).
    team, _ = _served_team(tmp_path, env)
    alice = team.join("alice")
    alice.commit_file("docs/a.md", "a\n")
    for branch in ("release/2.0", "release/1.0/hotfix"):
        alice.git("push", "-q", "--no-verify", "origin", f"HEAD:refs/heads/{branch}")
    verdicts = {}
    for n, branch in enumerate(("release/2.0", "release/1.0/hotfix")):
        _rewrite(alice, 2 * n)
        client = alice.run("git", "push", "--force", "origin", f"HEAD:refs/heads/{branch}")
        # From the remote's tip again (the client may have let its push through).
        alice.git("fetch", "-q", "origin", f"+refs/heads/{branch}:refs/remotes/origin/{branch}")
        alice.git("reset", "-q", "--hard", f"origin/{branch}")
        _rewrite(alice, 2 * n + 1)
        server = alice.run(
            "git", "push", "--no-verify", "--force", "origin", f"HEAD:refs/heads/{branch}"
        )
        by_client = "refused by sync" in client.err
        by_server = f"{branch} is protected ([sync] protected)" in server.err
        assert (client.rc != 0) == by_client and (server.rc != 0) == by_server, (client, server)
        verdicts[branch] = (by_client, by_server)
    assert verdicts == {"release/2.0": (True, True), "release/1.0/hotfix": (False, False)}


def test_a_commit_by_an_email_differing_in_case_belongs_to_the_claim_holder_in_ci_and_server(
    tmp_path: Path, env: dict[str, str]
) -> None:
    team, _ = _served_team(tmp_path, env)
    alice, bob = team.join("alice"), team.join("bob")
    alice.extra["GITCOORD_AGENT"] = "Alice@Example.COM"  # her claims spell it so
    assert alice.claim("src/").rc == 0
    alice.commit_file("src/api.py", "mine\n")  # author alice@example.com, no trailer
    ci = alice.gitcoord("ci", "--json")
    assert [f["check"] for f in ci.json()["findings"]] == ["rules"], ci.out  # no claims one
    pushed = alice.run("git", "push", "--no-verify", "origin", "HEAD:main")
    assert pushed.rc == 0, pushed.err  # the server judged it exactly: hers was refused
    # Bob's commit to her path is refused by both.
    bob.git("pull", "-q", "--no-verify", "origin", "main")
    bob.commit_file("src/db.py", "theirs\n")
    claims = [f for f in bob.gitcoord("ci", "--json").json()["findings"] if f["check"] == "claims"]
    assert [(f["path"], f["agent"]) for f in claims] == [("src/db.py", "bob@example.com")]
    refused = bob.run("git", "push", "--no-verify", "origin", "HEAD:main")
    assert refused.rc == 1 and "changes paths another agent holds" in refused.err


def test_a_misshapen_claim_commit_is_refused_alike_by_the_listing_and_the_server(
    tmp_path: Path, env: dict[str, str]
) -> None:
    import subprocess

    from gitcoord.core.claim import InvalidClaim, parse_claim_commit
    from gitcoord.git.bare import object_info
    from gitcoord.git.objects import read_objects
    from gitcoord.server.gitdata import claim_at
    from tests.serverside import make_claim, write_commit

    repo = tmp_path / "r.git"
    env = {**env, "GIT_AUTHOR_NAME": "m", "GIT_AUTHOR_EMAIL": "m@x", "GIT_COMMITTER_NAME": "m"}
    env["GIT_COMMITTER_EMAIL"] = "m@x"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], env=env, check=True)
    claim = make_claim("src/api.py", "mallory")
    root = write_commit(repo, "root", env)
    blob = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"], cwd=repo, env=env, input="x", text=True,
        capture_output=True, check=True,
    ).stdout.strip()  # fmt: skip
    tree = subprocess.run(
        ["git", "mktree"], cwd=repo, env=env, input=f"100644 blob {blob}\tf\n", text=True,
        capture_output=True, check=True,
    ).stdout.strip()  # fmt: skip
    empty = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
    reasons = {}
    for name, args in (("parented", [empty, "-p", root]), ("files", [tree])):
        oid = subprocess.run(
            ["git", "commit-tree", *args], cwd=repo, env=env, input=claim.message(), text=True,
            capture_output=True, check=True,
        ).stdout.strip()  # fmt: skip
        raw = read_objects(repo, [oid])[oid]
        try:
            parse_claim_commit(raw, ref=claim.ref, oid=oid)
            listed = "valid"
        except InvalidClaim as exc:
            listed = str(exc)
        served = claim_at(claim.ref, object_info(repo, [oid])[oid], raw)
        assert listed == served, (listed, served)
        reasons[name] = served
    assert reasons["parented"] == "its commit has 1 parents (at most 0)"
    assert reasons["files"] == (
        f"its commit carries files (tree {tree[:12]}); gitcoord commits have the empty tree"
    )
