"""Issue 10 case 11: the server's protected branches cannot be unprotected by a push.

The hooks used to take the protected list from gitcoord.toml on main, which any pusher can
change with a fast-forward push, after which the next push could rewrite main. Now
`gitcoord server install` records the list in the server's own config (merged, never replaced;
--protect adds, --unprotect removes) and the hooks enforce it together with the toml's list; a
push that drops a recorded pattern from gitcoord.toml is refused, naming the pattern and the
admin command that removes it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.gitenv import Agent
from tests.serverside import gitcoord_server


def _main(bare: Path) -> str:
    out = subprocess.run(
        ["git", "rev-parse", "refs/heads/main"], cwd=bare, capture_output=True, text=True
    )
    return out.stdout.strip()


def _commit_toml(agent: Agent, text: str) -> None:
    (agent.path / "gitcoord.toml").write_text(text)
    agent.git("add", "gitcoord.toml")
    agent.git("commit", "-q", "--no-verify", "-m", "config")


@pytest.mark.transports("file")
def test_a_push_cannot_unprotect_the_branch_it_pushes_to(
    served_repo: Path, alice: Agent, env: dict[str, str]
) -> None:
    bare = served_repo
    installed = gitcoord_server(env, "install", str(bare), "--json")
    assert installed.rc == 0, installed.err
    assert installed.json()["settings"]["protected"] == ["main", "release/*"]

    # Dropping main from [sync] protected on main: refused, nothing lands.
    before = _main(bare)
    _commit_toml(alice, '[sync]\nprotected = ["release/*"]\n')
    dropped = alice.run("git", "push", "--no-verify", "origin", "HEAD:main")
    assert dropped.rc == 1, dropped.err
    assert (
        "gitcoord: refused refs/heads/main: this push removes 'main' from [sync] protected in "
        "gitcoord.toml, but the server protects it (gitcoord.protected)"
    ) in dropped.err
    assert f"gitcoord server install {bare} --unprotect main`" in dropped.err
    assert _main(bare) == before

    # Adding a pattern in the toml is fine, and protects too (the union is enforced).
    alice.git("reset", "-q", "--hard", "origin/main")
    _commit_toml(alice, '[sync]\nprotected = ["main", "release/*", "stable"]\n')
    added = alice.run("git", "push", "--no-verify", "origin", "HEAD:main", "HEAD:refs/heads/stable")
    assert added.rc == 0, added.err
    with_toml = _main(bare)

    # The recorded list survives anything a push does: a force push dropping main's last
    # commit is still refused.
    alice.git("reset", "-q", "--hard", "HEAD~1")
    forced = alice.run("git", "push", "--no-verify", "--force", "origin", "HEAD:main")
    assert forced.rc == 1 and "main is protected" in forced.err, forced.err
    assert _main(bare) == with_toml

    # --protect adds to what is recorded; a plain re-install keeps it.
    more = gitcoord_server(env, "install", str(bare), "--protect", "hotfix/*", "--json")
    assert more.json()["settings"]["protected"] == ["main", "release/*", "hotfix/*"]
    again = gitcoord_server(env, "install", str(bare), "--json")
    assert again.json()["settings"]["protected"] == ["main", "release/*", "hotfix/*"]
    unknown = gitcoord_server(env, "install", str(bare), "--unprotect", "nope")
    assert unknown.rc == 2 and "'nope' is not in the server's protected list" in unknown.err

    # An admin unprotects main: the toml may now drop it, and main may then be rewritten.
    out = gitcoord_server(env, "install", str(bare), "--unprotect", "main", "--json")
    assert out.rc == 0, out.err
    assert out.json()["settings"]["protected"] == ["release/*", "hotfix/*"]
    alice.git("reset", "-q", "--hard", with_toml)
    _commit_toml(alice, '[sync]\nprotected = ["release/*", "stable"]\n')
    accepted = alice.run("git", "push", "--no-verify", "origin", "HEAD:main")
    assert accepted.rc == 0, accepted.err
    alice.git("reset", "-q", "--hard", "HEAD~1")
    rewritten = alice.run("git", "push", "--no-verify", "--force", "origin", "HEAD:main")
    assert rewritten.rc == 0, rewritten.err
    assert _main(bare) == with_toml
