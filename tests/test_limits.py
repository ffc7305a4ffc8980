"""Leases have a team limit ([claims] max_ttl) and durations always name their unit."""

from __future__ import annotations

from tests.gitenv import Agent


def test_ttl_beyond_max_ttl_is_a_usage_error_naming_the_limit(alice: Agent) -> None:
    for ttl in ("3000000d", "99999d", "4d"):  # 0.1.1: exit 4 (year 10240), then accepted
        res = alice.claim("--ttl", ttl, "src/api.py")
        assert res.rc == 2, (ttl, res.out, res.err)
        assert "longest lease, 3d ([claims] max_ttl" in res.err
        assert "Traceback" not in res.err and "internal error" not in res.err
    assert alice.claim("--json").json()["claims"] == []  # nothing was pushed
    assert alice.claim("--ttl", "2d", "src/api.py").rc == 0


def test_a_team_sets_its_own_limit(alice: Agent) -> None:
    alice.commit_file("gitcoord.toml", '[claims]\nmax_ttl = "1h"\nttl = "30m"\n')
    refused = alice.claim("--ttl", "2h", "src/api.py")
    assert refused.rc == 2 and "longest lease, 1h" in refused.err
    claimed = alice.claim("src/api.py", "--json").json()["claimed"][0]
    assert claimed["expires_at"] > claimed["created_at"]
    alice.commit_file("gitcoord.toml", '[claims]\nmax_ttl = "1h"\nttl = "2h"\n')
    bad = alice.claim("src/x.py")
    assert bad.rc == 2 and "claims.ttl: must be at most [claims] max_ttl (1h)" in bad.err


def test_a_duration_without_a_unit_is_refused(alice: Agent) -> None:
    for args in (
        ("--ttl", "5", "src/api.py"),
        ("--ttl=5", "src/api.py"),
        ("--wait=3", "a"),
        ("--ttl", "", "src/api.py"),  # was the default lease
        ("--renew", "--ttl", "", "src/api.py"),
    ):
        res = alice.claim(*args)
        assert res.rc == 2, (args, res.out, res.err)
        assert "expected a number with a unit" in res.err
    alice.commit_file("gitcoord.toml", "[claims]\nttl = 3600\n")
    res = alice.claim("src/api.py")
    assert res.rc == 2 and 'claims.ttl: expected a duration such as "30m", got 3600' in res.err


def test_a_time_limit_beyond_a_day_is_refused(alice: Agent) -> None:
    alice.commit_file("gitcoord.toml", '[remote]\ntimeout = "99999d"\n')
    res = alice.claim()  # before: "internal error: OverflowError('timeout is too large')"
    assert res.rc == 2, res.out + res.err
    assert "gitcoord.toml:2: remote.timeout: must be at most 1d" in res.err
