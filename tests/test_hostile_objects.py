"""Issue 10, cases 7 and 12: a hostile object on the remote fails only into "invalid,
skipped", and remote data never reaches the terminal with a raw control character.

Everything runs the real CLI against a real remote; the hostile objects are written with
plain git (`commit-tree`, `mktree`) and pushed past gitcoord, as a forger would.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitcoord.core import refnames
from gitcoord.core.approvals import parse_approval_message
from gitcoord.core.auditlog import parse_entry
from gitcoord.core.claim import (
    Claim,
    InvalidClaim,
    new_nonce,
    parse_claim_commit,
    parse_claim_message,
)
from gitcoord.core.modes import Mode
from gitcoord.core.paths import ClaimPath
from gitcoord.core.textsafe import printable
from gitcoord.core.timeutil import now
from gitcoord.git.objects import commit_message, list_refs, read_objects
from tests.claims import make_claim
from tests.gitenv import Agent, Result
from tests.test_hostile import _blob, _push_object

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
DEEP = "[" * 60_000  # under the 64 KiB object limit; json.loads exhausts its recursion
# What a terminal must never receive from remote data: C0 (but the line ends gitcoord
# writes), DEL, C1, line/paragraph separators, bidi overrides and isolates.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _commit(agent: Agent, message: str, tree: str = EMPTY_TREE, parent: str | None = None) -> str:
    """A commit object written by git itself (no gitcoord code), message from a file."""
    agent.git("hash-object", "-t", "tree", "-w", "/dev/null")  # the empty tree exists
    msg = agent.path / ".git" / "hostile-message.txt"
    msg.write_text(message, encoding="utf-8", errors="surrogatepass")
    args = ["git", "commit-tree", tree, "-F", str(msg)] + (["-p", parent] if parent else [])
    res = agent.run(*args)
    assert res.rc == 0, res.err
    return res.out.strip()


def _forged(agent: str, path: str, reason: str = "") -> Claim:
    """A write claim as another client would write it (well-formed, at its own ref)."""
    at = now()
    claim_path = ClaimPath.parse_stored(path)
    return make_claim(claim_path, Mode.WRITE, agent)._replace(
        reason=reason,
        ttl=3600,
        created_at=at,
        expires_at=at + 3600,
        priority_at=at,
        nonce=new_nonce(),
        ref=refnames.claim_ref(claim_path.key, Mode.WRITE, agent, "s"),
    )


def _mktree(agent: Agent, listing: str) -> str:
    proc = subprocess.run(
        ["git", "mktree"],
        cwd=agent.path,
        env=agent.environ(),
        input=listing.encode(),
        capture_output=True,
        check=True,
    )
    return proc.stdout.decode().strip()


def _run_bytes(agent: Agent, *args: str) -> tuple[int, bytes, bytes]:
    """Run a command and keep its output as bytes (text mode would translate \\r)."""
    proc = subprocess.run(
        list(args), cwd=agent.path, env=agent.environ(), capture_output=True, timeout=120
    )
    return proc.returncode, proc.stdout, proc.stderr


def _no_crash(res: Result) -> None:
    assert res.rc != 4 and "Traceback" not in res.err, res.err


def _server_claims(repo: Path) -> list[tuple[str, str, str]]:
    """(ref, path, agent) of every claim ref on the server whose message reads as a claim
    (hostile ones are left out here: this is the test's own, minimal reading)."""
    entries = list_refs(str(repo), refnames.CLAIMS)
    raw = read_objects(str(repo), (e.oid for e in entries if e.type == "commit"))
    out = []
    for e in entries:
        _, _, body = commit_message(raw.get(e.oid, b"")).partition(b"\n\n")
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            continue
        if isinstance(data, dict) and "path" in data:
            out.append((e.ref, str(data["path"]), str(data.get("agent"))))
    return out


# -- case 7: a hostile object is skipped, never fatal -------------------------------------


def test_deeply_nested_claim_body_stops_nobody(alice: Agent, bob: Agent, served_repo: Path) -> None:
    assert alice.claim("docs/guide.md").rc == 0
    hostile_ref = refnames.claim_ref("src/api.py", Mode.WRITE, "mallory", "x")
    _push_object(alice, hostile_ref, _commit(alice, "claim write src/api.py by mallory\n\n" + DEEP))

    listing = bob.claim()
    _no_crash(listing)
    assert listing.rc == 0
    assert "docs/guide.md" in listing.out
    warnings = [ln for ln in listing.err.splitlines() if ln.startswith("warning: skipping")]
    assert len(warnings) == 1 and hostile_ref in warnings[0], listing.err
    assert "nested deeper" in warnings[0]
    data = bob.claim("--json").json()
    assert [i["ref"] for i in data["invalid"]] == [hostile_ref]

    claimed = bob.claim("src/db.py")  # its read after write lists the hostile ref too
    _no_crash(claimed)
    assert claimed.rc == 0, claimed.err
    mine = [c for c in _server_claims(served_repo) if c[1] == "src/db.py"]
    assert len(mine) == 1 and mine[0][2] == "bob", mine

    status = bob.gitcoord("status")
    _no_crash(status)
    assert status.rc == 0 and "src/db.py" in status.out

    released = bob.claim("-d", "src/db.py")
    _no_crash(released)
    assert released.rc == 0, released.err
    assert not [c for c in _server_claims(served_repo) if c[1] == "src/db.py"]

    broke = bob.claim("--break", "docs/guide.md", "-r", "alice is gone")
    _no_crash(broke)
    assert broke.rc == 0, broke.err
    assert not [c for c in _server_claims(served_repo) if c[1] == "docs/guide.md"]
    # The hostile ref is still there, still skipped, still stopping nobody.
    again = alice.claim()
    _no_crash(again)
    assert again.rc == 0 and hostile_ref in again.err


def test_hostile_log_commit_under_a_valid_tip_is_skipped(alice: Agent, bob: Agent) -> None:
    assert alice.claim("src/api.py").rc == 0
    body = {
        "format": 1,
        "event": "claim",
        "agent": "mallory",
        "host": "h",
        "session": "s",
        "at": "2026-01-01T00:00:00.000Z",
        "reason": "on top of a hostile parent",
        "claims": [{"path": "src/db.py", "mode": "write", "agent": "mallory"}],
    }
    parent = _commit(alice, "claim src/db.py by mallory\n\n" + DEEP)
    tip = _commit(alice, "claim src/db.py by mallory\n\n" + json.dumps(body), parent=parent)
    _push_object(alice, refnames.log_ref("mallory"), tip)
    _push_object(alice, refnames.log_ref("not-a-commit"), _blob(alice, "not a log"))

    log = bob.gitcoord("log")
    _no_crash(log)
    assert log.rc == 0, log.err
    lines = log.out.splitlines()
    assert any("mallory" in ln and "src/db.py" in ln for ln in lines), log.out
    assert any("alice" in ln and "src/api.py" in ln for ln in lines), log.out
    # (alice's claim was verified: its grant shows until when it holds)
    assert any("alice" in ln and " grant " in ln and "  until 20" in ln for ln in lines), log.out
    entries = bob.gitcoord("log", "--json").json()["entries"]
    assert parent not in [e["oid"] for e in entries]
    assert tip in [e["oid"] for e in entries]


def test_lone_surrogate_claim_is_invalid_not_fatal(alice: Agent, bob: Agent) -> None:
    claim = _forged("mallory", "src/api.py", reason="x")
    text = claim.message().replace('"reason": "x"', '"reason": "\\ud800"')
    _push_object(alice, claim.ref, _commit(alice, text))
    listing = bob.claim()
    _no_crash(listing)
    assert listing.rc == 0 and "surrogate" in listing.err
    data = bob.claim("--json")
    _no_crash(data)
    assert [i["ref"] for i in data.json()["invalid"]] == [claim.ref]


# -- case 12: remote data is printed escaped ----------------------------------------------


def test_control_characters_in_a_claim_are_printed_escaped(alice: Agent, bob: Agent) -> None:
    assert alice.claim("src/api.py").rc == 0
    fake = "\n* src/db.py          write   alice  expires in 59m"
    forged = [
        _forged("mallory", "src/x.py" + fake, reason="\x1b[2J\x1b[31mred\x1b[0m\r\x85\u202e"),
        _forged("mallory\x1b]0;title\x07", "docs/ok.md", reason="two\nlines"),
    ]
    for claim in forged:
        _push_object(alice, claim.ref, _commit(alice, claim.message()))
    # A copy at the wrong ref: its warning quotes the path.
    _push_object(
        alice,
        refnames.claim_ref("elsewhere", Mode.WRITE, "m", "s"),
        _commit(alice, forged[0].message()),
    )

    for args in (("git", "claim"), ("gitcoord", "status"), ("gitcoord", "log")):
        rc, out, err = _run_bytes(bob, *args)
        assert rc == 0, err
        for stream in (out, err):
            text = stream.decode("utf-8")
            assert UNSAFE.search(text) is None, (args, text)
        assert b"Traceback" not in err
    rc, out, err = _run_bytes(bob, "git", "claim")
    lines = out.decode().splitlines()
    assert len(lines) == 3, lines  # alice's claim and the two forged: no faked line
    assert lines[0].startswith("  docs/ok.md") and "mallory\\x1b]0;title\\x07" in lines[0]
    assert '"two\\nlines"' in lines[0]
    assert "src/x.py\\n* src/db.py" in lines[2]
    assert "\\x1b[2J\\x1b[31mred\\x1b[0m\\r\\x85\\u202e" in lines[2]
    assert b"sits at the wrong ref" in err and b"src/x.py\\n* src/db.py" in err
    # JSON output carries the data itself, escaped by JSON.
    data = bob.claim("--json").json()
    assert sorted(c["path"] for c in data["claims"]) == sorted(
        ["src/api.py", "docs/ok.md", "src/x.py" + fake]
    )


# -- case 7: the shape of a claim commit ----------------------------------------------------
# These need store.read_listing to read claims with claim.parse_claim_commit.


def test_claim_commit_carrying_files_or_parents_is_invalid(alice: Agent, bob: Agent) -> None:
    blob = _blob(alice, "x" * 1000)
    tree = _mktree(alice, f"100644 blob {blob}\tpayload.bin\n")
    files = _forged("mallory", "src/api.py")
    _push_object(alice, files.ref, _commit(alice, files.message(), tree=tree))
    parented = _forged("mallory", "src/db.py")
    root = _commit(alice, "root")
    _push_object(alice, parented.ref, _commit(alice, parented.message(), parent=root))

    listing = bob.claim()
    _no_crash(listing)
    assert listing.rc == 0 and listing.out == "no live claims\n", listing.out
    warnings = [ln for ln in listing.err.splitlines() if ln.startswith("warning: skipping")]
    assert any(files.ref in w and "carries files" in w for w in warnings), listing.err
    assert any(parented.ref in w and "has 1 parents (at most 0)" in w for w in warnings), (
        listing.err
    )
    data = bob.claim("--json").json()
    assert data["claims"] == [] and len(data["invalid"]) == 2
    # Not a claim, so not a lock: the path can be claimed (the object is replaced).
    ok = bob.claim("src/api.py")
    assert ok.rc == 0, ok.err


# -- the parsers on their own: anything fails only into "invalid" ---------------------------

_JSONISH = st.text(alphabet='[]{}":,0123456789abtrue\\u\n ', max_size=300)


@given(st.binary(max_size=2000) | _JSONISH.map(lambda t: ("x\n\n" + t).encode()))
def test_claim_parsers_raise_only_invalid_claim(raw: bytes) -> None:
    for parse in (parse_claim_message, parse_claim_commit):
        with contextlib.suppress(InvalidClaim):
            parse(raw)
    with contextlib.suppress(InvalidClaim):
        parse_claim_commit(b"tree " + EMPTY_TREE.encode() + b"\n\n" + raw)


@given(_JSONISH | st.text(max_size=300))
def test_entry_and_approval_parsers_return_none_for_what_they_do_not_read(body: str) -> None:
    parse_entry("0" * 40, "x\n\n" + body)  # None or an entry, never an exception
    parse_approval_message(("x\n\n" + body).encode("utf-8", "surrogatepass"))


def test_deep_bodies_are_refused_cheaply() -> None:
    for body in (DEEP, '{"a":' * 12_000, '{"claims": [[[[[[1]]]]]]}'):
        with pytest.raises(InvalidClaim, match="nested deeper"):
            parse_claim_message("x\n\n" + body)
        assert parse_entry("0" * 40, "x\n\n" + body) is None
        assert parse_approval_message(("x\n\n" + body).encode()) is None
    # Brackets inside strings are text, not nesting.
    reason = "[[[[[[{{{{{{" * 100
    claim = _forged("alice", "src/[x].py", reason=reason)
    assert parse_claim_message(claim.message()).reason == reason


@given(st.text())
def test_printable_leaves_no_control_character(text: str) -> None:
    shown = printable(text)
    assert UNSAFE.search(shown) is None and "\n" not in shown
    assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in shown)
    if text.isprintable():
        assert shown == text
