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
