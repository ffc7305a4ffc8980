"""Pattern claims end to end (`git claim 'src/**/*.py'`): the real CLI, hooks and guard
against a bare remote, the claims read back from the server's refs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hookenv import BASE_CONFIG, Team, commit, make_team
from tests.remote_state import held_on_server
from tests.test_guard_decisions import edit


@pytest.fixture
def team(tmp_path: Path, env: dict[str, str]) -> Team:
    return make_team(tmp_path, env, BASE_CONFIG, {"src/lib/util.py": "u\n", "src/notes.md": "n\n"})


def served(team: Team) -> Path:
    return Path(team.url.removeprefix("file://"))


def test_a_pattern_holds_matching_paths_now_and_later(team: Team) -> None:
    alice, bob = team.join("alice"), team.join("bob")
    held = alice.claim("src/**/*.py", "-r", "python pass")
    assert held.rc == 0, held.err
    assert "claimed :(glob)src/**/*.py (write" in held.err + held.out
    assert held_on_server(served(team)) == [("alice", ":(glob)src/**/*.py", "write")]

    for path in ("src/api.py", "src/lib/util.py", "src/lib/new_file.py"):  # new: "later"
        refused = bob.claim(path)
        assert refused.rc == 1, refused.err
        assert f"{path} is matched by :(glob)src/**/*.py" in refused.err
        assert "claimed by alice" in refused.err
    directory = bob.claim("src/lib/")
    assert directory.rc == 1
    assert "src/lib/ may hold paths matched by :(glob)src/**/*.py" in directory.err
    overlapping = bob.claim("src/lib/*", "-m", "read")
    assert overlapping.rc == 1 and "may match a path of :(glob)src/**/*.py" in overlapping.err
    # Paths and patterns the pattern cannot reach are free.
    assert bob.claim("docs/guide.md", "docs/*.py").rc == 0
    assert sorted(p for who, p, _ in held_on_server(served(team)) if who == "bob") == [
        ":(glob)docs/*.py",
        "docs/guide.md",
    ]


def test_the_hooks_and_the_guard_treat_a_matched_path_as_claimed(team: Team) -> None:
    alice, bob = team.join("alice"), team.join("bob")
    assert alice.claim("src/*.py").rc == 0
    refused = commit(bob, "edit", ("src/api.py", "changed\n"))
    assert refused.rc == 1
    assert "refused by claims: src/api.py is claimed by alice" in refused.err
    bob.git("reset", "-q", "--hard")
    assert commit(bob, "notes", ("src/notes.md", "more\n")).rc == 0  # not matched
    denied = edit(bob, "src/db.py")
    assert denied["permissionDecision"] == "deny"
    assert "src/db.py is claimed by alice" in denied["permissionDecisionReason"]
    # The holder commits through its own pattern claim.
    mine = commit(alice, "mine", ("src/api.py", "alice's\n"))
    assert mine.rc == 0, mine.err


def test_a_pattern_is_typed_relative_to_the_current_directory(team: Team) -> None:
    alice = team.join("alice")
    sub = alice.path / "src"
    bare = alice.claim("*.py", cwd=sub)  # no slash: any depth below src/, as in a .gitignore
    assert bare.rc == 0, bare.err
    anchored = alice.claim("./lib/*.py", cwd=sub)
    assert anchored.rc == 0, anchored.err
    absolute = alice.claim(str(alice.path / "docs" / "*.md"))
    assert absolute.rc == 0, absolute.err
    assert sorted(p for _, p, _ in held_on_server(served(team))) == [
        ":(glob)docs/*.md",
        ":(glob)src/**/*.py",
        ":(glob)src/lib/*.py",
    ]
    released = alice.claim("-d", "**/*.py", cwd=sub)  # the same pattern, the same claim
    assert released.rc == 0, released.err
    assert ":(glob)src/**/*.py" not in [p for _, p, _ in held_on_server(served(team))]
    outside = alice.claim("../../*.py", cwd=sub)
    assert outside.rc == 2 and "outside the repository" in outside.err
    dotted = alice.claim("src/*/../x.py")
    assert dotted.rc == 2 and "`..` component" in dotted.err
    assert "Traceback" not in outside.err + dotted.err


def test_an_existing_file_with_glob_characters_is_a_file_claim(team: Team) -> None:
    alice, bob = team.join("alice"), team.join("bob")
    (alice.path / "src" / "[draft].py").write_text("d\n")
    assert alice.claim("src/[draft].py").rc == 0  # names a file on disk: that file
    assert held_on_server(served(team)) == [("alice", "src/[draft].py", "write")]
    # As a pattern, `[draft]` is one character of d, r, a, f, t: src/d.py is matched, and
    # the file claim above does not hold it.
    assert bob.claim("src/d.py").rc == 0
    forced = alice.claim(":(glob)src/[draft].py")  # the magic says "pattern"
    assert forced.rc == 1 and "src/d.py is claimed by bob" in forced.err


def test_the_listed_form_pastes_back_from_any_directory(team: Team) -> None:
    alice, bob = team.join("alice"), team.join("bob")
    assert alice.claim("./*.md").rc == 0  # anchored at the root: listed as :(glob)*.md
    assert [p for _, p, _ in held_on_server(served(team))] == [":(glob)*.md"]
    sub = bob.path / "src"
    # What the listing shows, typed from a subdirectory, is the same claim.
    checked = bob.claim("--check", ":(glob)*.md", cwd=sub)
    assert checked.rc == 1 and "claimed by alice" in checked.err, checked.err
    released = alice.claim("-d", ":(glob)*.md", cwd=alice.path / "src")
    assert released.rc == 0, released.err
    assert held_on_server(served(team)) == []


def test_bad_patterns_are_usage_errors_without_a_traceback(team: Team) -> None:
    alice = team.join("alice")
    cases = {
        ":(glob)": "is empty",
        "!src/*.py": "negation",
        "src/*.py ": "space",
        "src/*\n.py": "control character",
        ":(top)README.md": "pathspec magic",
        ":!src": "pathspec magic",
        ":(glob)src/../*.py": "`..` component",
    }
    for arg, said in cases.items():
        res = alice.claim(arg.replace("\\n", "\n"))
        assert res.rc == 2, (arg, res.err)
        assert said in res.err, (arg, res.err)
    raw = alice.run("sh", "-c", "git claim \"$(printf 'src/\\377*.py')\"")
    assert raw.rc == 2 and "not valid UTF-8" in raw.err, raw.err
    for res in (raw,):
        assert "Traceback" not in res.err
    assert held_on_server(served(team)) == []


def test_a_tracked_file_missing_from_the_tree_is_still_a_file_claim(team: Team) -> None:
    alice = team.join("alice")
    (alice.path / "src" / "[draft].py").write_text("d\n")
    alice.git("add", "--", "src/[draft].py")
    alice.git("commit", "-q", "--no-verify", "-m", "draft")
    (alice.path / "src" / "[draft].py").unlink()  # deleted in the tree, still tracked
    assert alice.claim("src/[draft].py").rc == 0
    assert held_on_server(served(team)) == [("alice", "src/[draft].py", "write")]


def test_a_fresh_snapshot_still_holds_a_pattern_claim_at_commit_time(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """The pre-commit hook reads a recent snapshot (max_age) for the paths it commits,
    without fetching: a pattern claim in it matches them whatever its key."""
    team = make_team(tmp_path, env, '[claims]\nmax_age = "10m"\n')
    alice, bob = team.join("alice"), team.join("bob")
    assert alice.claim("src/*.py").rc == 0
    assert bob.claim().rc == 0  # a fresh snapshot that has the pattern claim
    refused = commit(bob, "edit", ("src/api.py", "changed\n"))
    assert refused.rc == 1 and "src/api.py is claimed by alice" in refused.err, refused.err
