"""Issue 12, "one notion of mine": a holder is (agent, session) in every layer.

The hooks judge with this session; `gitcoord ci` and the server attribute each commit by
its trailers (agent and session), else the `[agents]` e-mail map, else the author e-mail;
a commit without a session trailer is judged by agent alone. A claim of my own other
session is named as such, with where it works and how to release it from here. Also: the
pre-push fix rewrites commits instead of unstaging, `[claims] publish_location = false`
keeps host and working tree off the remote, the listing and status mark and place my
other sessions' claims, need no identity, and keep a multi-line reason on one line; `why:`
cites a rule that wraps over two lines whole.

Each test runs the real CLI and hooks against a bare remote over file:// (what is checked
is decided from the fetched claims and the commits, the same over every transport).
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from gitcoord.store.localstate import rules_hash
from tests.fastclock import run_ahead
from tests.gitenv import Agent, Result
from tests.hookenv import BASE_CONFIG, RULES, Team, commit, make_team, run_as_human, write
from tests.remote_state import remote_claims
from tests.serverside import gitcoord_server

HOST = os.uname().nodename
FIRST, SECOND = "aaaa01", "bbbb02"  # two sessions of one agent in one checkout
EXPIRES = re.compile(r"expires in \d+[smhd]")


def sessions(agent: Agent) -> tuple[Agent, Agent]:
    """The same agent in the same checkout under two sessions (two harness sessions)."""
    return (
        replace(agent, extra={**agent.extra, "GITCOORD_SESSION": FIRST}),
        replace(agent, extra={**agent.extra, "GITCOORD_SESSION": SECOND}),
    )


def where(agent: Agent) -> str:
    return f"{HOST}:{agent.path.resolve()}"


def sneak(agent: Agent, message: str, *files: tuple[str, str], trailers: str = "") -> None:
    """Commit without the hooks (`--no-verify`), with `trailers` (lines) if any."""
    for rel, content in files:
        write(agent, rel, content)
        agent.git("add", "--", rel)
    body = f"{message}\n\n{trailers}" if trailers else message
    agent.git("commit", "-q", "--no-verify", "-m", body)


def with_ack(agent: str, session: str | None) -> str:
    """The trailers the commit-msg hook writes (the rules hash of tests/hookenv's RULES)."""
    lines = [f"Gitcoord-Agent: {agent}"]
    if session:
        lines.append(f"Gitcoord-Session: {session}")
    return "\n".join([*lines, f"Gitcoord-Rules: {rules_hash(RULES.encode())}"]) + "\n"


def claims_findings(agent: Agent) -> list[dict[str, str]]:
    res = agent.gitcoord("ci", "--json")
    assert res.rc in (0, 1), res.err
    return [f for f in res.json()["findings"] if f["check"] == "claims"]


def served(team: Team) -> Path:
    """The team's bare remote with gitcoord's server hooks installed."""
    bare = Path(team.url[len("file://") :])
    res = gitcoord_server(team.env, "install", str(bare))
    assert res.rc == 0, res.err
    return bare


def remote_said(res: Result) -> str:
    """git's stderr with the server's lines as the hook wrote them (no "remote: ", no
    padding)."""
    return "".join(ln.removeprefix("remote: ").rstrip() + "\n" for ln in res.err.splitlines())


@pytest.fixture
def team(tmp_path: Path, env: dict[str, str]) -> Team:
    return make_team(tmp_path, env)


# -- the hooks: mine is this session's --------------------------------------------------


def test_pre_commit_refuses_my_other_sessions_path_and_says_how_to_release_it(
    team: Team,
) -> None:
    first, second = sessions(team.join("alice"))
    assert first.claim("src/api.py").rc == 0
    refused = commit(second, "edit", ("src/api.py", "second\n"))  # 0.3.0: allowed (same agent)
    assert refused.rc == 1, refused.err
    assert refused.err.startswith(
        f"gitcoord: refused by claims: src/api.py is claimed by your other session {FIRST} "
        f"in {where(first)} (write claim on src/api.py, expires in "
    )
    assert refused.err.endswith(
        "  why: RULES.md:3: Claim before you change: run `git claim PATH` first.\n"
        f"  fix: release it there, or from here: GITCOORD_SESSION={FIRST} git claim -d "
        "src/api.py; or wait for it: git claim --wait src/api.py\n"
    )
    # The fix works as printed, and then the commit goes through, naming its session.
    fix = second.run("sh", "-c", f"GITCOORD_SESSION={FIRST} git claim -d src/api.py")
    assert fix.rc == 0, fix.err
    ok = second.run("git", "commit", "-q", "-m", "edit")
    assert ok.rc == 0, ok.err
    trailers = second.git("log", "-1", "--format=%(trailers:key=Gitcoord-Session,valueonly)")
    assert trailers == f"{SECOND}\n\n"


def test_the_hooks_snapshot_holds_the_granted_lease_not_the_provisional_one(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """A grant acknowledged within the provisional lease is not read back; the snapshot the
    pre-commit hook reads (max_age 5m here) must still hold the full lease. The claiming
    process runs 60 s behind, so its provisional lease (30 s) has ended when the other
    session commits: with the provisional version in the snapshot the commit went through."""
    team = make_team(tmp_path, env, '[claims]\nmax_age = "5m"\n')
    first, second = sessions(team.join("alice"))
    run_ahead(first, tmp_path / "site", -60)
    assert first.claim("src/api.py").rc == 0
    refused = commit(second, "edit", ("src/api.py", "second\n"))
    assert refused.rc == 1, refused.err
    assert re.search(
        rf"src/api\.py is claimed by your other session {FIRST} .* expires in 5\dm\)",
        refused.err,
    ), refused.err


def test_pre_push_refusal_fixes_the_commits_not_the_index(team: Team) -> None:
    alice, bob = team.join("alice"), team.join("bob")
    assert alice.claim("src/api.py").rc == 0
    base = bob.git("rev-parse", "origin/main").strip()
    sneak(bob, "edit", ("src/api.py", "bob\n"))
    pushed = bob.run("git", "push", "origin", "HEAD:main")
    assert pushed.rc != 0
    assert "gitcoord: refused by claims: src/api.py is claimed by alice (write claim" in pushed.err
    # 0.3.0: "(or leave it out: git restore --staged src/api.py)", which does nothing now.
    assert (
        "  fix: git claim --wait src/api.py   (or drop the change to src/api.py: "
        f"git rebase -i {base[:10]})\n"
    ) in pushed.err
    assert "restore --staged" not in pushed.err
    # A new branch: its commits start after the last commit a remote has.
    pushed = bob.run("git", "push", "origin", "HEAD:refs/heads/bob-work")
    assert f"drop the change to src/api.py: git rebase -i {base[:10]})\n" in pushed.err


# -- gitcoord ci and the server: the one attribution rule ------------------------------


def test_ci_judges_a_commit_by_its_session_and_without_one_by_its_agent(team: Team) -> None:
    first, second = sessions(team.join("alice"))
    assert first.claim("src/").rc == 0
    sneak(second, "edit", ("src/db.py", "second\n"), trailers=with_ack("alice", SECOND))
    [found] = claims_findings(second)  # 0.3.0: none (any session of alice was hers)
    assert found["agent"] == "alice" and found["path"] == "src/db.py"
    assert re.fullmatch(
        rf"commit [0-9a-f]{{10}} by alice: src/db\.py is claimed by your other session {FIRST} "
        rf"in {re.escape(where(first))} \(write claim on src/, expires in \d+[smhd]\)",
        found["message"],
    ), found["message"]
    assert found["fix"] == (
        f"release it there, or from here: GITCOORD_SESSION={FIRST} git claim -d src/; "
        "or wait for it: git claim --wait src/db.py"
    )
    # Its own session's commit is its own; one without a session trailer is alice's alone.
    second.git("commit", "-q", "--amend", "--no-verify", "-m", "e\n\n" + with_ack("alice", FIRST))
    assert claims_findings(second) == []
    second.git("commit", "-q", "--amend", "--no-verify", "-m", "e\n\n" + with_ack("alice", None))
    assert claims_findings(second) == []


AGENT_MAP = BASE_CONFIG + '\n[agents]\n"alice-bot" = { emails = ["alice@example.com"] }\n'


def test_a_commit_without_trailers_is_the_mapped_agents_in_ci_and_on_the_server(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """GITCOORD_AGENT (alice-bot) differs from user.email (alice@example.com) and the
    commits skip commit-msg: 0.3.0 refused alice-bot's own commits in CI and on the
    server; the [agents] e-mail map makes them alice-bot's."""
    team = make_team(tmp_path, env, AGENT_MAP)
    bare = served(team)
    alice, bob = team.join("alice"), team.join("bob")
    alice.extra["GITCOORD_AGENT"] = "alice-bot"
    assert alice.claim("src/").rc == 0
    sneak(alice, "mine", ("src/api.py", "alice\n"))  # no trailers at all
    res = alice.gitcoord("ci", "--json")
    assert [(f["check"], f["agent"]) for f in res.json()["findings"]] == [
        ("rules", "alice-bot")  # the missing trailers still are a finding; the claim not
    ]
    pushed = alice.run("git", "push", "--no-verify", "origin", "HEAD:main")
    assert pushed.rc == 0, pushed.err
    assert (
        alice.git("rev-parse", "HEAD")
        == subprocess.run(
            ["git", "rev-parse", "main"], cwd=bare, env=env, capture_output=True, text=True
        ).stdout
    )

    # Others' commits are still judged against the claim, by the same rule.
    sneak(bob, "theirs", ("src/db.py", "bob\n"))
    assert [(f["agent"], f["subject"]) for f in claims_findings(bob)] == [
        ("bob@example.com", "alice-bot")
    ]
    refused = bob.run("git", "push", "--no-verify", "origin", "HEAD:refs/heads/bob-work")
    assert refused.rc != 0
    assert "changes paths another agent holds:" in refused.err
    assert "changes src/db.py: src/ is claimed by alice-bot (write, expires in " in refused.err


def test_server_names_a_claim_of_the_commits_other_session(team: Team) -> None:
    served(team)
    first, second = sessions(team.join("alice"))
    assert first.claim("src/api.py").rc == 0
    sneak(second, "edit", ("src/api.py", "second\n"), trailers=with_ack("alice", SECOND))
    refused = second.run("git", "push", "--no-verify", "origin", "HEAD:main")
    assert refused.rc != 0  # 0.3.0: accepted (the trailer's agent holds the claim)
    said = remote_said(refused)
    assert (
        "gitcoord: refused refs/heads/main: changes paths your other session holds:\n"
        f"    commit {second.git('rev-parse', 'HEAD')[:12]} changes src/api.py: src/api.py is "
        f"claimed by your other session {FIRST} in {where(first)} (write, expires in "
    ) in said
    assert (
        f"  fix: release it there, or from here: GITCOORD_SESSION={FIRST} git claim -d "
        "src/api.py, then push again\n"
    ) in said
    # The session that holds the claim pushes the same change.
    second.git("commit", "-q", "--amend", "--no-verify", "-m", "e\n\n" + with_ack("alice", FIRST))
    ok = second.run("git", "push", "--no-verify", "origin", "HEAD:main")
    assert ok.rc == 0, ok.err


# -- [claims] publish_location ---------------------------------------------------------


def test_publish_location_off_keeps_host_and_worktree_off_the_remote(
    tmp_path: Path, env: dict[str, str]
) -> None:
    team = make_team(tmp_path, env, BASE_CONFIG + "publish_location = false\n")
    first, second = sessions(team.join("alice"))
    assert first.claim("src/api.py").rc == 0
    [held] = remote_claims(Path(team.url[len("file://") :]))
    assert (held.host, held.worktree, held.session) == ("", "", FIRST)  # 0.3.0: both set
    raw = first.git("cat-file", "-p", held.oid)  # (fetched by the claim)
    assert str(first.path.resolve()) not in raw and HOST not in raw

    refused = commit(second, "edit", ("src/api.py", "second\n"))
    assert refused.rc == 1
    assert (
        f"src/api.py is claimed by your other session {FIRST} (location not published) "
        in refused.err
    )
    listing = second.claim().out.splitlines()
    assert listing[0].startswith("+ src/api.py  write   alice  expires in ")
    assert listing[0].endswith(f"(your other session {FIRST} (location not published))")


# -- the listing and status ------------------------------------------------------------


def first_session_note(first: Agent) -> str:
    """How a row of the listing or status ends for FIRST's claim with a two-line reason."""
    return f'(your other session {FIRST} in {where(first)})  "line one\\nline two"'


def legend(path: str) -> str:
    return (
        "+: your other session's claim; release it there, or from here: "
        f"GITCOORD_SESSION={FIRST} git claim -d {path}"
    )


def columns(line: str) -> int:
    found = EXPIRES.search(line)
    assert found, line
    return found.start()


def test_listing_marks_my_other_session_and_keeps_a_multi_line_reason_on_one_line(
    team: Team,
) -> None:
    first, second = sessions(team.join("alice"))
    bob = team.join("bob")
    assert first.claim("src/api.py", "-r", "line one\nline two").rc == 0
    assert bob.claim("docs/guide.md", "-r", "x" * 100).rc == 0
    assert second.claim("README.md").rc == 0
    lines = second.claim().out.splitlines()
    assert len(lines) == 4, lines  # three claims and the legend: no reason breaks a line
    assert lines[0].startswith("* README.md      write   alice  expires in ")
    assert lines[1].startswith("  docs/guide.md  write   bob    expires in ")
    assert lines[1].endswith(f'"{"x" * 57}..."')
    assert lines[2].startswith("+ src/api.py     write   alice  expires in ")  # 0.3.0: "  "
    assert lines[2].endswith(first_session_note(first))
    assert len({columns(line) for line in lines[:3]}) == 1
    assert lines[3] == legend("PATH")

    data = second.claim("--json").json()
    by_path = {c["path"]: c for c in data["claims"]}
    theirs = by_path["src/api.py"]
    assert (theirs["mine"], theirs["mine_other_session"]) == (False, True)
    assert (theirs["session"], theirs["host"], theirs["worktree"]) == (
        FIRST,
        HOST,
        str(first.path.resolve()),
    )
    assert theirs["reason"] == "line one\nline two"
    assert (by_path["README.md"]["mine"], by_path["README.md"]["mine_other_session"]) == (
        True,
        False,
    )
    assert by_path["docs/guide.md"]["mine_other_session"] is False


def test_status_aligns_its_columns_and_shows_reasons(team: Team) -> None:
    first, second = sessions(team.join("alice"))
    bob = team.join("bob")
    assert first.claim("src/api.py", "-r", "line one\nline two").rc == 0
    assert bob.claim("docs/", "-r", "docs pass").rc == 0
    assert second.claim("README.md", "src/db.py", "-r", "mine").rc == 0
    res = second.gitcoord("status")
    assert res.rc == 0, res.err
    lines = res.out.splitlines()
    assert lines[0] == f"agent alice (session {SECOND}) on origin"
    mine = lines[lines.index("my claims (2):") + 1 :][:2]
    others = lines[lines.index("others' live claims (2):") + 1 :][:3]
    assert [ln[:14] for ln in mine] == ["  * README.md ", "  * src/db.py "]
    assert all(ln.endswith('"mine"') for ln in mine)  # 0.3.0: no reasons at all
    assert len({columns(ln) for ln in mine}) == 1
    assert others[0].startswith("    docs/       write   bob    expires in ")
    assert others[0].endswith('"docs pass"')
    assert others[1].startswith("  + src/api.py  write   alice  expires in ")
    assert others[1].endswith(first_session_note(first))
    assert len({columns(ln) for ln in others[:2]}) == 1
    assert others[2] == "  " + legend("src/api.py")
    data = second.gitcoord("status", "--json").json()
    assert [c["path"] for c in data["mine_other_sessions"]] == ["src/api.py"]


def test_listing_needs_no_identity_but_claiming_does(team: Team) -> None:
    alice, carol = team.join("alice"), team.join("carol")
    assert alice.claim("src/api.py").rc == 0
    carol.git("config", "--unset", "user.email")
    listed = run_as_human(carol, "git", "claim")  # 0.3.0: exit 2, "no agent identity"
    assert listed.rc == 0, listed.err
    assert listed.out.startswith("  src/api.py  write   alice  expires in ")
    data = run_as_human(carol, "git", "claim", "--json").json()
    assert data["agent"] is None and [c["mine"] for c in data["claims"]] == [False]
    status = run_as_human(carol, "gitcoord", "status")
    assert status.rc == 0 and status.out.startswith("no agent identity on origin\n")
    claimed: Result = run_as_human(carol, "git", "claim", "docs/guide.md")
    assert claimed.rc == 2
    assert "no agent identity: GITCOORD_AGENT, gitcoord.agent and user.email are all unset" in (
        claimed.err
    )


# -- why: the whole rule -----------------------------------------------------------------

WRAPPED_RULES = (
    "# Rules\n\n"
    "1. **Claim before you change a file**: run `git claim PATH`\n"
    "   first, and release it when your work lands.\n"
    "2. Read the rules at the start of every session.\n"
)


def test_why_cites_a_rule_that_wraps_over_two_lines_whole(
    tmp_path: Path, env: dict[str, str]
) -> None:
    team = make_team(tmp_path, env, files={"RULES.md": WRAPPED_RULES})
    alice, bob = team.join("alice"), team.join("bob")
    assert alice.claim("src/api.py").rc == 0
    refused = commit(bob, "edit", ("src/api.py", "bob\n"))
    assert refused.rc == 1
    assert (  # 0.3.0: "...run `git claim PATH`" and no more
        "  why: RULES.md:3: Claim before you change a file: run `git claim PATH` first, and "
        "release it when your work lands.\n"
    ) in refused.err
