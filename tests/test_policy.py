"""The pure decision core: every check in every rollout mode, and the rules of each check."""

from __future__ import annotations

from typing import Any

import pytest

from gitcoord.core.approvals import Approval
from gitcoord.core.change import Change
from gitcoord.core.claim import Claim
from gitcoord.core.config import CHECK_MODES, Config, Guard, parse_config
from gitcoord.core.errors import UsageError
from gitcoord.core.modes import Mode
from gitcoord.core.paths import ClaimPath
from gitcoord.policy.decisions import (
    Finding,
    PolicyInput,
    PushCheck,
    RulesState,
    evaluate,
    guard_for,
    resolve_role,
    sync_findings,
)

NOW = 1_800_000_000.0


def claim(path: str, agent: str, mode: Mode = Mode.WRITE, ttl: int = 3600, **kw: str) -> Claim:
    is_dir = path.endswith("/")
    return Claim(
        id=f"{agent}-{path}",
        path=ClaimPath(path.rstrip("/"), is_dir),
        mode=mode,
        agent=agent,
        host="h",
        worktree="/w",
        session=kw.get("session", "s-" + agent),
        reason=kw.get("reason", ""),
        ttl=ttl,
        created_at=NOW - 10,
        expires_at=NOW - 10 + ttl,
        priority_at=NOW - 10,
    )


def inp(changes: list[Change], config: Config | None = None, **kw: Any) -> PolicyInput:
    base = PolicyInput(
        stage="commit",
        changes=changes,
        config=config or Config(),
        agent="bob",
        role=None,
        claims=[],
        now=NOW,
        rules=RulesState("RULES.md", None, None),
    )
    return base._replace(**kw)


def with_mode(config: Config, check: str, mode: str) -> Config:
    return config._replace(checks={**config.checks, check: mode})


# One violating input per check; each must give exactly one finding.
def violating(check: str) -> tuple[PolicyInput, Config]:
    if check == "claims":
        cfg = Config()
        return inp([Change("M", "src/api.py")], cfg, claims=[claim("src/api.py", "alice")]), cfg
    if check == "rules":
        cfg = Config()
        return inp([Change("M", "a.py")], cfg, rules=RulesState("RULES.md", "h2", "h1")), cfg
    if check == "guards":
        cfg = Config()._replace(guards=(Guard(("*.pem",), "block", "no keys"),))
        return inp([Change("A", "k/a.pem")], cfg), cfg
    if check == "roles":
        cfg = Config()._replace(roles={"tests": ("tests/**",)})
        return inp([Change("M", "src/api.py")], cfg, role="tests"), cfg
    raise AssertionError(check)


@pytest.mark.parametrize("mode", CHECK_MODES)
@pytest.mark.parametrize("check", ["claims", "rules", "guards", "roles"])
def test_every_check_in_every_mode(check: str, mode: str) -> None:
    base, cfg = violating(check)
    findings = evaluate(base._replace(config=with_mode(cfg, check, mode)))
    if mode == "off":
        assert findings == []
        return
    assert [(f.check, f.mode) for f in findings] == [(check, mode)]
    assert findings[0].blocking is (mode == "enforce")
    assert findings[0].fix and findings[0].reason and findings[0].subject


@pytest.mark.parametrize("mode", CHECK_MODES)
def test_sync_in_every_mode(mode: str) -> None:
    cfg = with_mode(Config(), "sync", mode)
    found = sync_findings([PushCheck("main", "origin", 2)], cfg)
    if mode == "off":
        assert found == []
    else:
        assert [f.mode for f in found] == [mode]
        assert "would drop 2 commit(s) that origin has" in found[0].message
        assert found[0].fix == "git pull --rebase origin main   (then push again)"


def test_sync_only_protected_branches_and_real_drops() -> None:
    cfg = Config()  # protected: main, release/*
    pushes = [
        PushCheck("feature/x", "origin", 3),
        PushCheck("main", "origin", 0),
        PushCheck("release/1.0", "origin", 1),
        PushCheck("release/1.0/x", "origin", 1),
        PushCheck("main", "origin", 4, deleting=True),
    ]
    found = sync_findings(pushes, cfg)
    assert [(f.path, f.subject) for f in found] == [("release/1.0", "release/*"), ("main", "main")]
    assert found[1].message.startswith("deleting main would drop 4 commit(s)")


def test_claims_delete_and_rename_count_both_names() -> None:
    claims = [claim("src/api.py", "alice"), claim("docs/", "carol", reason="rewrite")]
    changes = [Change("D", "src/api.py"), Change("R", "docs/new.md", "README.md")]
    found = evaluate(inp(changes, claims=claims))
    assert [(f.path, f.subject) for f in found] == [
        ("src/api.py", "alice"),
        ("docs/new.md", "carol"),
    ]
    assert found[1].message.startswith("docs/new.md is claimed by carol (write claim on docs/,")
    assert found[1].reason.startswith('carol\'s reason: "rewrite"; ')
    assert found[0].fix.startswith("git claim --wait src/api.py")
    renamed_from = evaluate(inp([Change("R", "x.py", "src/api.py")], claims=claims))
    assert [f.path for f in renamed_from] == ["src/api.py"]


def test_claims_read_and_intent_of_others_block_my_write_but_mine_do_not() -> None:
    claims = [
        claim("a.py", "alice", Mode.READ),
        claim("b.py", "alice", Mode.INTENT),
        claim("c.py", "bob"),
        claim("d.py", "alice", ttl=5),  # expired 5 s ago, within the default 5 s skew
        claim("e.py", "alice", ttl=1),  # expired 9 s ago: beyond the skew
    ]
    changes = [Change("M", p) for p in ("a.py", "b.py", "c.py", "d.py", "e.py")]
    assert [f.path for f in evaluate(inp(changes, claims=claims))] == ["a.py", "b.py", "d.py"]


def test_require_needs_my_live_write_claim() -> None:
    cfg = parse_config('[claims]\nrequire = ["migrations/"]\n')
    change = [Change("A", "db/migrations/001.sql")]
    missing = evaluate(inp(change, cfg))
    assert [(f.check, f.subject) for f in missing] == [("claims", "migrations/")]
    assert missing[0].fix == "git claim db/migrations/001.sql"
    mine = [claim("db/migrations/", "bob")]
    assert evaluate(inp(change, cfg, claims=mine)) == []
    read_only = [claim("db/migrations/", "bob", Mode.READ)]
    assert len(evaluate(inp(change, cfg, claims=read_only))) == 1
    expired = [claim("db/migrations/", "bob", ttl=5)]
    assert len(evaluate(inp(change, cfg, claims=expired))) == 1


IN_FORCE = Config(source="gitcoord.toml")  # a committed policy: self-protection applies


def test_guard_tiers_and_self_protection() -> None:
    cfg = IN_FORCE._replace(
        guards=(
            Guard(("secrets/**",), "block", "credentials never pass through agents"),
            Guard(("deploy/",), "approve", "production"),
            Guard(("docs/",), "warn", ""),
        ),
    )
    changes = [
        Change("A", "secrets/k"),
        Change("M", "deploy/app.yml"),
        Change("M", "docs/guide.md"),
        Change("M", "gitcoord.toml"),
        Change("M", "RULES.md"),
        Change("M", "sub/gitcoord.toml"),
    ]
    found = evaluate(inp(changes, cfg))
    assert [(f.path, f.mode) for f in found] == [
        ("secrets/k", "enforce"),
        ("deploy/app.yml", "enforce"),
        ("docs/guide.md", "warn"),
        ("gitcoord.toml", "enforce"),
        ("RULES.md", "enforce"),
    ]
    assert found[0].reason == "credentials never pass through agents"
    assert found[0].fix == "git restore --staged -- secrets/k"
    # A configured guard overrides the self-protection for that path.
    relaxed = cfg._replace(guards=(Guard(("gitcoord.toml",), "warn", "trusted"),))
    hit = guard_for("gitcoord.toml", relaxed)
    assert hit is not None and hit[0].tier == "warn"
    # No policy in force (adopting gitcoord): there is none to protect.
    assert guard_for("gitcoord.toml", Config()) is None


def test_approval_binds_to_the_patch_id_and_not_to_myself() -> None:
    change = [Change("M", "gitcoord.toml")]
    approvals = [Approval("p1", "human@example.com", ("gitcoord.toml",), NOW)]
    ok = inp(change, IN_FORCE, approve_patch_id="p1", approvals=approvals)
    assert evaluate(ok) == []
    changed = evaluate(ok._replace(approve_patch_id="p2"))
    assert "the staged change differs from the approved one" in changed[0].message
    own = [Approval("p1", "bob", ("gitcoord.toml",), NOW)]
    mine = evaluate(ok._replace(approvals=own))[0]
    assert "an approval by the committer itself does not count" in mine.message
    assert evaluate(ok._replace(approvals=[]))[0].message.endswith("no approval recorded")
    # approvals are a commit-time check; at push only block guards apply
    assert evaluate(ok._replace(stage="push", approvals=[])) == []


def test_roles_and_role_resolution() -> None:
    cfg = parse_config(
        '[roles.tests]\nwrite = ["tests/**"]\n[roles.explorer]\nwrite = []\n'
        '[agents]\n"bob" = "tests"\n'
    )
    assert resolve_role(cfg, "bob", None) == "tests"
    assert resolve_role(cfg, "bob", "explorer") == "explorer"
    assert resolve_role(cfg, "alice", None) is None
    with pytest.raises(UsageError, match="GITCOORD_ROLE='nope' is not a role"):
        resolve_role(cfg, "bob", "nope")
    changes = [Change("A", "tests/test_a.py"), Change("R", "tests/b.py", "src/b.py")]
    found = evaluate(inp(changes, cfg, role="tests"))
    assert [f.path for f in found] == ["src/b.py"]
    assert found[0].message == "src/b.py is outside role 'tests', which may write only: tests/**"
    explorer = evaluate(inp([Change("M", "tests/x.py")], cfg, role="explorer"))
    assert explorer[0].message.endswith("which may write only: nothing")


def test_rules_citation_is_the_reason() -> None:
    found = evaluate(
        inp(
            [Change("M", "a.py")],
            rules=RulesState("RULES.md", "h2", None),
            citations={"rules": "RULES.md:8: Read the rules at the start of every session"},
        )
    )
    assert found == [
        Finding(
            check="rules",
            mode="enforce",
            path="RULES.md",
            subject="h2",
            message="bob has not acknowledged RULES.md at h2 (you have not acknowledged it)",
            reason="RULES.md:8: Read the rules at the start of every session",
            fix="gitcoord rules   (read it), then: gitcoord rules --ack",
        )
    ]
    assert evaluate(inp([Change("M", "a.py")], rules=RulesState("RULES.md", "h", "h"))) == []
