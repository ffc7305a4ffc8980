"""One file, one claim key (issue 10, case 5): every spelling of a path meets at one ref.

Spellings through an in-repository symlink, relative or absolute, resolve to the path git
tracks; a symlink leading out of the repository is a usage error in every spelling; under
core.ignorecase and core.precomposeunicode, case and Unicode normalisation variants meet.
After every step the served repository's refs are read directly: the exact claims held, and
never two incompatible claims of different holders on overlapping paths.
"""

from __future__ import annotations

import os
import unicodedata
from itertools import combinations
from pathlib import Path

from gitcoord.core.modes import compatible
from gitcoord.core.paths import overlaps
from tests.gitenv import Agent
from tests.remote_state import held_on_server, remote_claims


def _on_server(repo: Path) -> list[tuple[str, str, str]]:
    """(agent, path, mode) of every claim on the server, after checking no two conflict."""
    claims = remote_claims(repo)
    for a, b in combinations(claims, 2):
        double = a.holder != b.holder and overlaps(a.path, b.path)
        assert not (double and not compatible(a.mode, b.mode)), f"double grant: {a} / {b}"
    return held_on_server(repo)


def _commit_symlink(agent: Agent, link: str, target: str, *others: Agent) -> None:
    os.symlink(target, agent.path / link)
    agent.git("add", "--", link)
    agent.git("commit", "-q", "--no-verify", "-m", f"link {link}")
    agent.git("push", "-q", "--no-verify", "origin", "HEAD:main")
    for other in others:
        other.git("pull", "-q", "origin", "main")


def test_symlink_spellings_meet_at_the_tracked_path(
    alice: Agent, bob: Agent, carol: Agent, served_repo: Path
) -> None:
    _commit_symlink(alice, "srclink", "src", bob, carol)
    assert (bob.path / "srclink").is_symlink()

    ok = alice.claim("srclink/api.py")
    assert ok.rc == 0, ok.err
    assert ok.out.startswith("claimed src/api.py (write,"), ok.out
    assert _on_server(served_repo) == [("alice", "src/api.py", "write")]

    refused = bob.claim("src/api.py")
    assert refused.rc == 1, (refused.out, refused.err)
    assert "src/api.py is claimed by alice" in refused.err
    assert _on_server(served_repo) == [("alice", "src/api.py", "write")]

    # The absolute spelling through the link, from another directory: the same key.
    absolute = carol.claim(str(carol.path / "srclink" / "api.py"), cwd=carol.path / "docs")
    assert absolute.rc == 1, (absolute.out, absolute.err)
    assert "src/api.py is claimed by alice" in absolute.err
    assert _on_server(served_repo) == [("alice", "src/api.py", "write")]

    # A directory claim through the link (trailing slash) is a claim on src/.
    directory = bob.claim("srclink/")
    assert directory.rc == 1, (directory.out, directory.err)
    assert "src/api.py is claimed by alice" in directory.err
    assert _on_server(served_repo) == [("alice", "src/api.py", "write")]

    # Released under either spelling: it is one claim.
    assert alice.claim("-d", str(alice.path / "srclink" / "api.py")).out == (
        "released src/api.py (write)\n"
    )
    assert _on_server(served_repo) == []
    granted = bob.claim("srclink/")
    assert granted.rc == 0, granted.err
    assert granted.out.startswith("claimed src/ (write,"), granted.out
    assert _on_server(served_repo) == [("bob", "src/", "write")]


def test_the_link_itself_without_a_trailing_slash(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    """git tracks a symlink as a file: `srclink` names the link, `srclink/` the directory."""
    _commit_symlink(alice, "srclink", "src", bob)
    link = alice.claim("srclink")
    assert link.rc == 0, link.err
    assert link.out.startswith("claimed srclink (write,"), link.out
    other = bob.claim("src/api.py")
    assert other.rc == 0, other.err
    assert _on_server(served_repo) == [
        ("alice", "srclink", "write"),
        ("bob", "src/api.py", "write"),
    ]


def test_symlink_out_of_the_repository_is_a_usage_error_in_every_spelling(
    alice: Agent, tmp_path: Path, served_repo: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    _commit_symlink(alice, "outlink", str(outside))
    for spelling, cwd in (
        ("outlink/x.py", alice.path),
        ("outlink/", alice.path),
        ("../outlink/sub/", alice.path / "src"),
        (str(alice.path / "outlink" / "x.py"), alice.path),
        (str(alice.path / "outlink" / "x.py"), alice.path / "docs"),
    ):
        res = alice.claim(spelling, cwd=cwd)
        assert res.rc == 2, (spelling, res.out, res.err)
        assert f"goes through the symlink outlink -> {outside}" in res.err, res.err
        assert f"leads outside the repository (to {outside.resolve()})" in res.err
        assert "Traceback" not in res.err
        assert _on_server(served_repo) == []
    # The link itself is a file git tracks, and claimable.
    link = alice.claim("outlink")
    assert link.rc == 0, link.err
    assert _on_server(served_repo) == [("alice", "outlink", "write")]


def test_ignorecase_spellings_meet(alice: Agent, bob: Agent, served_repo: Path) -> None:
    for agent in (alice, bob):
        agent.git("config", "core.ignorecase", "true")

    ok = alice.claim("README.md")
    assert ok.rc == 0, ok.err
    refused = bob.claim("readme.md")
    assert refused.rc == 1, (refused.out, refused.err)
    assert "README.md is claimed by alice" in refused.err
    assert _on_server(served_repo) == [("alice", "README.md", "write")]

    # The on-disk spelling wins whichever way it is typed, directories included.
    tracked = bob.claim("SRC/API.PY")
    assert tracked.rc == 0, tracked.err
    assert tracked.out.startswith("claimed src/api.py (write,"), tracked.out
    assert alice.claim("Src/").rc == 1
    assert _on_server(served_repo) == [
        ("alice", "README.md", "write"),
        ("bob", "src/api.py", "write"),
    ]

    # A new file has no on-disk spelling: every spelling folds to one key.
    new = alice.claim("New.py")
    assert new.rc == 0, new.err
    assert new.out.startswith("claimed new.py (write,"), new.out
    refused = bob.claim("new.py")
    assert refused.rc == 1, (refused.out, refused.err)
    assert "new.py is claimed by alice" in refused.err
    refused = bob.claim("NEW.PY")
    assert refused.rc == 1, (refused.out, refused.err)
    assert _on_server(served_repo) == [
        ("alice", "README.md", "write"),
        ("alice", "new.py", "write"),
        ("bob", "src/api.py", "write"),
    ]

    # .git is refused whatever its case.
    assert alice.claim(".GIT/config").rc == 2


def test_precomposeunicode_spellings_meet(alice: Agent, bob: Agent, served_repo: Path) -> None:
    nfc = unicodedata.normalize("NFC", "café.txt")
    nfd = unicodedata.normalize("NFD", "café.txt")
    assert nfc != nfd
    for agent in (alice, bob):
        agent.git("config", "core.precomposeunicode", "true")

    ok = alice.claim(nfd)
    assert ok.rc == 0, ok.err
    assert ok.out.startswith(f"claimed {nfc} (write,"), ok.out
    refused = bob.claim(nfc)
    assert refused.rc == 1, (refused.out, refused.err)
    assert f"{nfc} is claimed by alice" in refused.err
    assert _on_server(served_repo) == [("alice", nfc, "write")]


def test_without_those_settings_spellings_stay_apart(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    """A Linux repository can hold README.md and readme.md, café in NFC and in NFD."""
    nfc = unicodedata.normalize("NFC", "café.txt")
    nfd = unicodedata.normalize("NFD", "café.txt")
    for agent, path in ((alice, "README.md"), (bob, "readme.md"), (alice, nfc), (bob, nfd)):
        res = agent.claim(path)
        assert res.rc == 0, (path, res.err)
    assert _on_server(served_repo) == sorted(
        [
            ("alice", "README.md", "write"),
            ("bob", "readme.md", "write"),
            ("alice", nfc, "write"),
            ("bob", nfd, "write"),
        ]
    )
