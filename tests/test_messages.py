"""Issue 12, what `git claim` tells the user: each message says what is true, names who
and where, and ends with a command that works; no option is accepted and then ignored.

Every case runs the real CLI against a real remote. "My other session" is the same agent
in a second clone: another holder (a holder is an agent and a session), worded as mine.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.gitenv import Agent, agent_env, clone
from tests.remote_state import held_on_server, remote_claims, remote_log
from tests.servers import BaseServer

pytestmark = pytest.mark.transports("file")

EXPIRY = r"expires in (1h|59m)"  # a one-hour lease, read a moment after it was granted


def _second_clone(remote_url: str, server: BaseServer, tmp_path: Path) -> Agent:
    """alice again, in another clone: same agent, another session."""
    return clone(remote_url, tmp_path / "alice-again", "alice", agent_env(server, "alice"))


def _only_claim(agent: Agent) -> dict[str, str]:
    [claim] = agent.claim("--json").json()["claims"]
    return dict(claim)


def test_renew_or_release_of_anothers_claim_names_the_holder(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    assert alice.claim("src/api.py", "-r", "fix auth").rc == 0
    for verb in ("--renew", "-d"):
        res = bob.claim(verb, "src/api.py")
        assert res.rc == 1, res.out
        # 0.1.1: "your claim on src/api.py was lost"; later "...: src/api.py is claimed by".
        assert re.fullmatch(
            r"gitcoord: you hold no claim on src/api\.py; it is held by alice "
            rf'\(write, {EXPIRY}, reason: "fix auth"\)\n'
            r"  fix: see `gitcoord log src/api\.py`; `git claim` lists live claims\n",
            res.err,
        ), res.err
    assert held_on_server(served_repo) == [("alice", "src/api.py", "write")]


def test_my_other_session_is_named_with_where_and_how_to_release_it(
    alice: Agent, remote_url: str, remote_server: BaseServer, served_repo: Path, tmp_path: Path
) -> None:
    assert alice.claim("src/api.py").rc == 0
    first = _only_claim(alice)
    session, where = first["session"], f"{first['host']}:{first['worktree']}"
    again = _second_clone(remote_url, remote_server, tmp_path)
    release_here = f"GITCOORD_SESSION={session} git claim -d src/api.py"

    released = again.claim("-d", "src/api.py")
    assert released.rc == 1, released.out
    assert re.fullmatch(
        r"gitcoord: you hold no claim on src/api\.py in this session; it is held by your "
        rf"other session {session} in {re.escape(where)} \(write, {EXPIRY}\)\n"
        rf"  fix: release it from here: `{release_here}`\n",
        released.err,
    ), released.err

    renewed = again.claim("--renew", "src/api.py")
    assert renewed.rc == 1, renewed.out
    renew_here = f"GITCOORD_SESSION={session} git claim --renew src/api.py"
    assert f"  fix: renew it from here: `{renew_here}`\n" in renewed.err, renewed.err

    refused = again.claim("src/api.py")  # 0.1.1: "... claimed by alice ... ask alice to release"
    assert refused.rc == 1, refused.out
    assert re.fullmatch(
        rf"gitcoord: refused: src/api\.py is claimed by your other session {session} in "
        rf"{re.escape(where)} \(write, {EXPIRY}\)\n"
        rf"  fix: release it there, or from here: {release_here}; or wait for it: "
        r"`git claim --wait src/api\.py`\n",
        refused.err,
    ), refused.err
    assert "ask alice" not in refused.err

    # The fix works as printed, from the second clone.
    again.extra["GITCOORD_SESSION"] = session
    done = again.claim("-d", "src/api.py")
    assert (done.rc, done.out) == (0, "released src/api.py (write)\n"), done.err
    assert held_on_server(served_repo) == []


def test_my_other_session_without_a_published_location(
    alice: Agent, remote_url: str, remote_server: BaseServer, tmp_path: Path
) -> None:
    alice.set_policy("[claims]\npublish_location = false\n")
    assert alice.claim("src/api.py").rc == 0
    session = _only_claim(alice)["session"]
    again = _second_clone(remote_url, remote_server, tmp_path)
    refused = again.claim("src/api.py")
    assert refused.rc == 1, refused.out
    assert (
        f"src/api.py is claimed by your other session {session} (location not published) "
        "(write, " in refused.err
    ), refused.err
    assert f"from here: GITCOORD_SESSION={session} git claim -d src/api.py;" in refused.err


def test_a_lost_claim_says_who_broke_it_and_why(alice: Agent, bob: Agent) -> None:
    assert alice.claim("src/api.py").rc == 0
    assert bob.claim("--break", "src/api.py", "-r", "alice's laptop died").rc == 0

    lost = alice.claim("--renew", "src/api.py")
    assert lost.rc == 1, lost.out
    assert lost.err == (
        'gitcoord: your claim on src/api.py was lost (broken by bob: "alice\'s laptop died")\n'
        "  fix: see `gitcoord log src/api.py`; claim it again when free: "
        "`git claim --wait src/api.py`\n"
    )
    # Reported once; asked again, the audit log still tells what happened (0.3: "it expired
    # and was taken, was broken, or never existed").
    again = alice.claim("-d", "src/api.py")
    assert again.rc == 1, again.out
    assert re.fullmatch(
        r"gitcoord: you hold no claim on src/api\.py: yours was broken by bob \d+s ago: "
        '"alice\'s laptop died", and nobody holds it now\n'
        r"  fix: see `gitcoord log src/api\.py`; claim it: `git claim src/api\.py`\n",
        again.err,
    ), again.err


def test_a_path_released_earlier_says_so(alice: Agent) -> None:
    assert alice.claim("-m", "read", "docs/").rc == 0
    assert alice.claim("-d", "docs/").rc == 0
    res = alice.claim("--renew", "docs/")
    assert res.rc == 1, res.out
    assert re.fullmatch(
        r"gitcoord: you hold no claim on docs/: you released it \d+s ago, and nobody holds it "
        r"now\n  fix: see `gitcoord log docs/`; claim it: `git claim -m read docs/`\n",
        res.err,
    ), res.err
    never = alice.claim("-d", "README.md")
    assert never.rc == 1, never.out
    assert never.err.startswith(
        "gitcoord: you hold no claim on README.md: the audit log shows no claim of yours on "
        "it, and nobody holds it now\n"
    ), never.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("-r", "x"),
            "-r goes with claiming paths, --renew (a new reason), -d (a note for the "
            "audit log) or --break (why); listing and --check take none",
        ),
        (
            ("--ttl", "1h"),
            "--ttl goes with claiming paths or --renew (a lease: -d and --break have none)",
        ),
        (
            ("-d", "--ttl", "1h", "src/api.py"),
            "--ttl goes with claiming paths or --renew (a lease: -d and --break have none)",
        ),
        (
            ("--break", "--ttl", "1h", "src/api.py", "-r", "x"),
            "--ttl goes with claiming paths or --renew (a lease: -d and --break have none)",
        ),
        (("--renew", "-m", "read"), "--mode goes with claiming paths"),
        (("-d", "-m", "write", "src/api.py"), "--mode goes with claiming paths"),
        (("-d", "--wait", "src/api.py"), "--wait goes with claiming paths"),
    ],
)
def test_options_that_would_do_nothing_are_usage_errors(
    alice: Agent, served_repo: Path, args: tuple[str, ...], message: str
) -> None:
    assert alice.claim("src/api.py", "-r", "kept").rc == 0
    before = [(c.ref, c.oid) for c in remote_claims(served_repo)]
    res = alice.claim(*args)
    assert res.rc == 2, (res.out, res.err)
    assert res.err.startswith(f"gitcoord: {message}\n"), res.err
    assert res.out == ""
    assert [(c.ref, c.oid) for c in remote_claims(served_repo)] == before  # nothing done


def test_renew_records_a_new_reason_and_release_a_note(alice: Agent, bob: Agent) -> None:
    assert alice.claim("src/api.py", "-r", "first go").rc == 0
    renewed = alice.claim("--renew", "--ttl", "2h", "-r", "second go")
    assert renewed.rc == 0, renewed.err
    # Relative, like every other line (0.3: "until 2026-...Z"); --json keeps ISO times.
    assert re.fullmatch(r"renewed src/api\.py \(write, expires in (2h|1h59m)\)\n", renewed.out)
    [seen] = bob.claim("--json").json()["claims"]
    assert seen["reason"] == "second go"  # 0.3: still "first go"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT.*Z", seen["expires_at"])

    released = alice.claim("-d", "-r", "landed in #42", "src/api.py")
    assert (released.rc, released.out) == (0, "released src/api.py (write)\n"), released.err
    log = bob.gitcoord("log", "src/api.py", "--json").json()["entries"]
    assert [(e["event"], e["reason"]) for e in log if e["event"] in ("renew", "release")] == [
        ("renew", "second go"),
        ("release", "landed in #42"),  # 0.3: the note was dropped
    ]
    shown = bob.gitcoord("log", "src/api.py")
    assert shown.rc == 0, shown.err
    [line] = [ln for ln in shown.out.splitlines() if "  release " in ln]
    assert line.endswith('  release    src/api.py (write)  "landed in #42"'), line


def test_refused_shared_claim_suggests_waiting_in_its_mode(alice: Agent, bob: Agent) -> None:
    assert alice.claim("src/api.py").rc == 0
    for mode in ("read", "intent"):
        res = bob.claim("-m", mode, "src/api.py")
        assert res.rc == 1, res.out
        # 0.3: `git claim --wait src/api.py`, which waits for a write claim.
        assert f"wait for it: `git claim -m {mode} --wait src/api.py`" in res.err, res.err


def test_break_inside_a_claimed_directory_names_the_covering_claim(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    assert alice.claim("tests/").rc == 0
    res = bob.claim("--break", "tests/foo.py", "-r", "alice is away")
    assert res.rc == 1, res.out
    # 0.3: "no claim of another agent on tests/foo.py to break".
    assert res.err == (
        "gitcoord: tests/foo.py is covered by alice's write claim on tests/\n"
        "  fix: break that: `git claim --break tests/ -r 'alice is away'`\n"
    )
    assert held_on_server(served_repo) == [("alice", "tests/", "write")]
    broke = bob.claim("--break", "tests/", "-r", "alice is away")  # the fix, as printed
    assert broke.rc == 0, broke.err
    assert held_on_server(served_repo) == []


def test_log_shows_a_refused_attempt_as_one_line(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    assert alice.claim("src/api.py").rc == 0
    assert bob.claim("-m", "read", "src/api.py").rc == 1  # pushed, read back, retracted

    shown = bob.gitcoord("log", "src/api.py")
    assert shown.rc == 0, shown.err
    events = [ln.split()[2] for ln in shown.out.splitlines()]
    assert events == ["claim", "grant", "refused"]  # 0.3: claim, grant, claim, retract
    assert shown.out.splitlines()[-1].endswith(
        "  bob               refused    src/api.py (read)  "
        "(never granted: overlapped alice's write claim on src/api.py)"
    ), shown.out

    entries = bob.gitcoord("log", "src/api.py", "--json").json()["entries"]
    claims = [e for e in entries if e["event"] == "claim"]
    assert [(e["agent"], e["granted"]) for e in claims] == [("alice", True), ("bob", False)]
    withdrawn = claims[1]["withdrawn"]
    assert withdrawn["reason"] == "overlapped alice's write claim on src/api.py"
    assert [c["agent"] for c in withdrawn["overlapped"]] == ["alice"]
    # The retraction stays in the JSON (and on the remote), pointing at the attempt's claims.
    [retract] = [e for e in entries if e["event"] == "retract"]
    assert retract["oid"] == withdrawn["oid"]
    assert [e.event for e in remote_log(served_repo) if e.agent == "bob"] == ["claim", "retract"]


def test_a_refusal_stands_when_the_audit_log_cannot_be_fetched(
    alice: Agent, tmp_path: Path
) -> None:
    """What became of my claim is read from every agent's log, fetched only for this
    refusal; when that fetch fails the refusal is still a refusal (exit 1, from the log as
    last fetched), not "cannot verify" (3)."""
    assert alice.claim("-m", "read", "docs/").rc == 0
    assert alice.claim("-d", "docs/").rc == 0
    wrap = tmp_path / "bin"
    wrap.mkdir()
    real = shutil.which("git")
    (wrap / "git").write_text(
        "#!/bin/sh\n"
        'case "$*" in *"+refs/claims-log/*:"*) echo "fatal: the log fetch fails" >&2; '
        "exit 128;; esac\n"
        f'exec {real} "$@"\n'
    )
    (wrap / "git").chmod(0o755)
    alice.extra["PATH"] = f"{wrap}{os.pathsep}{os.environ['PATH']}"
    # Not through `git claim`: git puts its own exec-path first on the PATH it passes on.
    res = alice.gitcoord("claim", "--renew", "docs/")
    assert res.rc == 1, res.out + res.err
    assert re.match(r"gitcoord: you hold no claim on docs/: you released it \d+s ago", res.err), (
        res.err
    )
