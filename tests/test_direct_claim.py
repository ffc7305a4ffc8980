"""Which `git claim` command lines skip typer's parsing, and what they pass on."""

from __future__ import annotations

import pytest

from gitcoord.cli.direct import direct_claim_arguments
from tests.gitenv import Agent


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], {}),
        (["src/api.py", "docs/"], {"paths": ["src/api.py", "docs/"]}),
        (["--json"], {"as_json": True}),
        (["-d", "src/api.py"], {"delete": True, "paths": ["src/api.py"]}),
        (["--delete", "--all", "--json"], {"delete": True, "all_": True, "as_json": True}),
        (["--renew"], {"renew": True}),
        (["src/a.py", "--json"], {"paths": ["src/a.py"], "as_json": True}),
    ],
)
def test_flag_only_forms_go_direct(argv: list[str], expected: dict[str, object]) -> None:
    assert direct_claim_arguments(argv) == expected


@pytest.mark.parametrize(
    "argv",
    [
        ["-m", "read", "docs/"],
        ["--mode=read", "docs/"],
        ["--wait", "src/api.py"],
        ["--ttl", "2h", "src/api.py"],
        ["-r", "why", "src/api.py"],
        ["--break", "src/api.py", "-r", "gone"],
        ["--", "-odd-name"],
        ["-h"],
        ["--help"],
        ["-dj"],
        ["--bogus"],
        ["-"],
    ],
)
def test_everything_else_goes_through_typer(argv: list[str]) -> None:
    assert direct_claim_arguments(argv) is None


def test_help_and_usage_errors_still_come_from_typer(alice: Agent) -> None:
    helped = alice.claim("-h")
    assert helped.rc == 0
    assert "Examples:" in helped.out
    bad = alice.claim("--bogus")
    assert bad.rc == 2
    assert "--bogus" in bad.err
