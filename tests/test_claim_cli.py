"""`git claim` end to end against a real remote: claim, refuse, list, release.

The core (claim, refuse, JSON listing, directories, release with commit) runs over every
transport.
"""

from __future__ import annotations

import pytest

from tests.gitenv import Agent

CONTRACT_FIELDS = {"id", "path", "mode", "agent", "host", "reason", "created_at", "expires_at"}


@pytest.mark.every_transport
def test_refusal_names_holder_and_release_frees(alice: Agent, bob: Agent) -> None:
    ok = alice.claim("src/api.py", "-r", "fix auth")
    assert ok.rc == 0, ok.err
    assert ok.out.startswith("claimed src/api.py (write, expires in ")

    as_json = bob.claim("src/api.py", "--json")
    assert as_json.rc == 1
    error = as_json.json()["error"]
    assert error["exit_code"] == 1 and "claimed by alice" in error["message"]
    assert "git claim --wait src/api.py" in error["fix"]

    refused = bob.claim("src/api.py")
    assert refused.rc == 1
    assert "src/api.py is claimed by alice (write, expires in" in refused.err
    assert 'reason: "fix auth"' in refused.err
    assert "git claim --wait src/api.py" in refused.err
    assert "Traceback" not in refused.err

    released = alice.claim("-d", "src/api.py")
    assert released.rc == 0, released.err
    assert released.out == "released src/api.py (write)\n"
    again = bob.claim("src/api.py")
    assert again.rc == 0, again.err


@pytest.mark.every_transport
def test_json_listing_has_contract_fields(alice: Agent, bob: Agent) -> None:
    assert alice.claim("src/", "-r", "refactor").rc == 0
    assert bob.claim("-m", "read", "docs/guide.md").rc == 0
    listing = bob.claim("--json")
    assert listing.rc == 0, listing.err
    data = listing.json()
    assert data["agent"] == "bob"
    by_path = {c["path"]: c for c in data["claims"]}
    assert set(by_path) == {"src/", "docs/guide.md"}
    for claim in data["claims"]:
        assert set(claim) >= CONTRACT_FIELDS
        assert claim["created_at"].endswith("Z") and claim["expires_at"].endswith("Z")
    assert by_path["src/"]["mine"] is False and by_path["src/"]["agent"] == "alice"
    assert by_path["docs/guide.md"]["mine"] is True
    assert by_path["docs/guide.md"]["mode"] == "read"


def test_plain_listing_marks_mine(alice: Agent, bob: Agent) -> None:
    assert alice.claim("src/api.py").rc == 0
    assert bob.claim("docs/").rc == 0
    lines = bob.claim().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("* docs/") and " bob " in lines[0]
    assert lines[1].startswith("  src/api.py") and " alice " in lines[1]


@pytest.mark.every_transport
def test_directory_claim_blocks_file_claim_and_vice_versa(alice: Agent, bob: Agent) -> None:
    assert alice.claim("src").rc == 0  # an existing directory is a directory claim
    listing = alice.claim("--json").json()
    assert [c["path"] for c in listing["claims"]] == ["src/"]
    refused = bob.claim("src/db.py")
    assert refused.rc == 1 and "src/ is claimed by alice" in refused.err
    assert alice.claim("-d", "src/").rc == 0
    assert bob.claim("src/db.py").rc == 0
    refused = alice.claim("src/")
    assert refused.rc == 1 and "src/db.py is claimed by bob" in refused.err


def test_modes_read_and_intent_share_write_excludes(alice: Agent, bob: Agent, carol: Agent) -> None:
    assert alice.claim("-m", "read", "docs/").rc == 0
    assert bob.claim("-m", "intent", "docs/guide.md").rc == 0
    refused = carol.claim("docs/guide.md")
    assert refused.rc == 1
    assert "claimed by" in refused.err
    assert carol.claim("-m", "read", "docs/guide.md").rc == 0


def test_paths_relative_to_cwd_and_outside_repo(alice: Agent, bob: Agent) -> None:
    res = alice.claim("api.py", cwd=alice.path / "src")
    assert res.rc == 0 and "claimed src/api.py" in res.out
    outside = alice.claim("../../elsewhere.txt", cwd=alice.path / "src")
    assert outside.rc == 2
    assert "outside the repository" in outside.err and "Traceback" not in outside.err
    assert alice.claim("/etc/passwd").rc == 2


def test_usage_errors_exit_2(alice: Agent) -> None:
    for args in (
        ("--ttl", "soon", "src/api.py"),
        ("-m", "exclusive", "src/api.py"),
        ("-d", "--renew", "src/api.py"),
        ("--break", "src/api.py"),
        ("-d",),
        ("--commit", "HEAD", "src/api.py"),
        ("--no-such-flag",),
    ):
        res = alice.claim(*args)
        assert res.rc == 2, (args, res.out, res.err)
        assert "Traceback" not in res.err
    # A commit that does not exist is bad input (README, "Exit codes": 2), whether or not
    # the path is held (not held would be a refusal, 1), and nothing is released.
    for held in (False, True):
        if held:
            assert alice.claim("src/api.py").rc == 0
        bad_commit = alice.claim("-d", "src/api.py", "--commit", "nope")
        assert (bad_commit.rc, bad_commit.out) == (2, "")
        assert bad_commit.err == "gitcoord: --commit 'nope' is not a commit in this repository\n"
    assert [c["path"] for c in alice.claim("--json").json()["claims"]] == ["src/api.py"]


@pytest.mark.every_transport
def test_release_with_commit_is_recorded(alice: Agent) -> None:
    assert alice.claim("src/api.py").rc == 0
    alice.commit_file("src/api.py", "changed\n")
    head = alice.git("rev-parse", "HEAD").strip()
    # A commit only this clone has is refused (1), naming the push that fixes it.
    unpushed = alice.claim("-d", "src/api.py", "--commit", "HEAD")
    assert (unpushed.rc, unpushed.out) == (1, ""), unpushed.err
    assert f"({head[:12]}) is on no remote" in unpushed.err
    assert "push it first (e.g. `git push origin HEAD`)" in unpushed.err
    alice.git("push", "-q", "--no-verify", "origin", "HEAD:main")
    res = alice.claim("-d", "src/api.py", "--commit", "HEAD")
    assert res.rc == 0 and head[:12] in res.out
    log = alice.gitcoord("log", "src/api.py", "--json").json()["entries"]
    assert [e["event"] for e in log] == ["claim", "grant", "release"]
    assert log[2]["commit"] == head


def test_release_all_and_nothing_to_release(alice: Agent) -> None:
    assert alice.claim("src/api.py", "docs/").rc == 0
    res = alice.claim("-d", "--all")
    assert res.rc == 0 and len(res.out.splitlines()) == 2
    assert alice.claim("--json").json()["claims"] == []
    res = alice.claim("-d", "--all")
    assert res.rc == 0 and "nothing released" in res.out


def test_release_of_unheld_path_is_refused(alice: Agent, bob: Agent) -> None:
    assert alice.claim("src/api.py").rc == 0
    res = bob.claim("-d", "src/api.py")
    assert res.rc == 1
    assert "you hold no claim on src/api.py; it is held by alice (write, expires in" in res.err


def test_claiming_again_renews_in_place(alice: Agent) -> None:
    first = alice.claim("src/api.py", "--ttl", "10m", "--json").json()["claimed"][0]
    second = alice.claim("src/api.py", "--ttl", "2h", "--json").json()["claimed"][0]
    assert second["id"] == first["id"] and second["expires_at"] > first["expires_at"]
    assert len(alice.claim("--json").json()["claims"]) == 1


def test_status_shows_mine_and_others(alice: Agent, bob: Agent) -> None:
    assert alice.claim("src/api.py", "--ttl", "2m").rc == 0
    assert bob.claim("docs/").rc == 0
    data = alice.gitcoord("status", "--json").json()
    assert [c["path"] for c in data["mine"]] == ["src/api.py"]
    assert [c["path"] for c in data["others"]] == ["docs/"]
    assert [c["path"] for c in data["expiring_soon"]] == ["src/api.py"]
    text = alice.gitcoord("status").out
    assert "my claims (1):" in text and "others' live claims (1):" in text


def test_help_everywhere_has_an_example(alice: Agent) -> None:
    for args in (("claim", "--help"), ("status", "--help"), ("log", "--help"), ("--help",)):
        res = alice.gitcoord(*args)
        assert res.rc == 0
    assert "Examples:" in alice.claim("-h").out  # `git claim --help` asks git for a man page
    assert "Example" in alice.gitcoord("status", "--help").out
