"""Issue 10 case 7 (server side): the hooks check every object a push brings under gitcoord's
refs, not only the tips.

A hostile body (60 KB of `[`, which makes json.loads recurse until RecursionError) as the
*parent* of a valid audit-log tip, and claim commits that carry files or parents, are pushed
with raw git (`git commit-tree`, `git push --no-verify`) to a file:// remote with the server
hooks installed: each push is refused, the remote's refs do not move, the hook never crashes
(no hook-errors.log), and a real claim still works.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gitcoord.core import refnames
from tests.gitenv import Agent
from tests.remote_state import held_on_server, remote_log
from tests.serverside import gitcoord_server, make_claim

HOSTILE = "x\n\n" + "[" * 60_000 + "\n"


def _commit(agent: Agent, message: str, *, tree: str, parent: str = "") -> str:
    """A commit written with `git commit-tree` in the agent's clone."""
    args = ["git", "commit-tree", tree] + (["-p", parent] if parent else [])
    proc = subprocess.run(
        args, cwd=agent.path, env=agent.environ(), input=message, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def _remote_refs(bare: Path, prefix: str) -> dict[str, str]:
    out = subprocess.run(
        ["git", "for-each-ref", "--format=%(objectname) %(refname)", prefix],
        cwd=bare,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {ref: oid for oid, _, ref in (ln.partition(" ") for ln in out.splitlines())}


def _empty_tree_oid(agent: Agent) -> str:
    proc = subprocess.run(
        ["git", "hash-object", "-t", "tree", "-w", "--stdin"],
        cwd=agent.path,
        env=agent.environ(),
        input=b"",
        capture_output=True,
    )
    return proc.stdout.decode().strip()


@pytest.mark.transports("file")
def test_hostile_objects_behind_valid_tips_are_refused(
    served_repo: Path, alice: Agent, bob: Agent, env: dict[str, str]
) -> None:
    bare = served_repo
    assert gitcoord_server(env, "install", str(bare)).rc == 0
    assert alice.claim("docs/guide.md").rc == 0
    assert alice.claim("-d", "docs/guide.md").rc == 0
    log_ref = refnames.log_ref("alice")
    logs_before = _remote_refs(bare, refnames.LOG)
    tip = logs_before[log_ref]
    assert held_on_server(bare) == []
    entries = remote_log(bare)

    # 1. A valid log entry whose parent is the hostile body: a fast-forward of alice's log.
    empty = _empty_tree_oid(alice)
    hostile = _commit(alice, HOSTILE, tree=empty, parent=tip)
    tip_message = alice.git("cat-file", "commit", tip).split("\n\n", 1)[1]
    valid_on_top = _commit(alice, tip_message, tree=empty, parent=hostile)
    pushed = alice.run("git", "push", "--no-verify", "origin", f"{valid_on_top}:{log_ref}")
    assert pushed.rc == 1, pushed.err
    refusal = f"gitcoord: refused {log_ref}: log commit {hostile[:12]} is not a gitcoord log entry"
    assert refusal in pushed.err
    assert _remote_refs(bare, refnames.LOG) == logs_before
    assert remote_log(bare) == entries  # nothing hostile
    shown = bob.gitcoord("log")
    assert shown.rc == 0, shown.err

    # The same body on a branch first, then the log ref pointed at it: still checked.
    branch = alice.run("git", "push", "--no-verify", "origin", f"{hostile}:refs/heads/junk")
    assert branch.rc == 0, branch.err
    again = alice.run("git", "push", "--no-verify", "origin", f"{valid_on_top}:{log_ref}")
    assert again.rc == 1 and "is not a gitcoord log entry" in again.err, again.err
    assert _remote_refs(bare, refnames.LOG) == logs_before

    # 2. A valid claim message in a commit that carries a tree (files every agent downloads).
    claim = make_claim("src/api.py", "alice")
    blob = alice.git("hash-object", "-w", "README.md").strip()
    tree = subprocess.run(
        ["git", "mktree"],
        cwd=alice.path,
        env=alice.environ(),
        input=f"100644 blob {blob}\tpayload.bin\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    with_files = _commit(alice, claim.message(), tree=tree)
    res = alice.run("git", "push", "--no-verify", "origin", f"{with_files}:{claim.ref}")
    assert res.rc == 1, res.err
    assert f"gitcoord: refused {claim.ref}: not a valid claim: its commit carries files" in res.err
    assert _remote_refs(bare, refnames.CLAIMS) == {}

    # 3. A valid claim message with a parent (history every agent downloads).
    head = alice.git("rev-parse", "HEAD").strip()
    with_parent = _commit(alice, claim.message(), tree=empty, parent=head)
    res = alice.run("git", "push", "--no-verify", "origin", f"{with_parent}:{claim.ref}")
    assert res.rc == 1, res.err
    assert "not a valid claim: its commit has 1 parents (at most 0)" in res.err
    assert _remote_refs(bare, refnames.CLAIMS) == {}

    # 4. The hostile body itself as a claim: refused, and the hook did not crash.
    res = alice.run("git", "push", "--no-verify", "origin", f"{hostile}:{claim.ref}")
    assert res.rc == 1 and "not a valid claim" in res.err, res.err
    assert _remote_refs(bare, refnames.CLAIMS) == {}
    assert not (bare / "gitcoord" / "hook-errors.log").exists()

    # A real claim still works.
    ok = alice.claim("src/api.py")
    assert ok.rc == 0, ok.err
    assert held_on_server(bare) == [("alice", "src/api.py", "write")]
