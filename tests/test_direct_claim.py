"""`git claim` end to end through its fast parser (cli/direct.py), with options that take
values; help and usage errors still come from typer. That both parsers accept the same
command lines is tests/test_claim_parsing.py."""

from __future__ import annotations

from tests.gitenv import Agent


def test_options_with_values_run_through_the_fast_route(alice: Agent, bob: Agent) -> None:
    ok = alice.claim("-m", "read", "--ttl=30m", "-rshared docs", "docs/")
    assert ok.rc == 0, ok.err
    assert ok.out == "claimed docs/ (read, expires in 30m)\n"
    listing = bob.claim("--json").json()["claims"]
    assert [(c["path"], c["mode"], c["reason"]) for c in listing] == [
        ("docs/", "read", "shared docs")
    ]
    renewed = alice.claim("--renew", "--ttl", "2h", "--json")
    assert renewed.rc == 0, renewed.err
    assert [c["path"] for c in renewed.json()["renewed"]] == ["docs/"]
    waited = bob.claim("--wait=1s", "-r", "edit", "--json", "src/api.py")
    assert waited.rc == 0, waited.err
    data = waited.json()
    assert [c["path"] for c in data["claimed"]] == ["src/api.py"]
    assert data["claimed"][0]["reason"] == "edit"


def test_bad_values_are_run_claims_usage_errors(alice: Agent) -> None:
    bad = alice.claim("--ttl=soon", "src/api.py")
    assert bad.rc == 2
    assert bad.out == ""
    assert bad.err.startswith("gitcoord: ")
    assert "soon" in bad.err and "Traceback" not in bad.err


def test_help_and_usage_errors_still_come_from_typer(alice: Agent) -> None:
    helped = alice.claim("-h")
    assert helped.rc == 0
    assert "Examples:" in helped.out
    bad = alice.claim("--bogus")
    assert bad.rc == 2
    assert "--bogus" in bad.err
    missing = alice.claim("src/api.py", "-r")
    assert missing.rc == 2
    assert missing.err == (
        "gitcoord: option '-r' requires an argument\n"
        "  usage: git claim [OPTIONS] [PATH]...\n"
        "  fix: git claim -h\n"
    )
