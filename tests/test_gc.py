"""`gitcoord gc`: the sweep of expired claims and dead refs, end to end through the CLI
against a bare file:// remote. The sweeper's clock runs two hours ahead (tests/fastclock.py)
after it has seen the claims, so a one-hour claim is expired in its eyes by both halves of
the rule (lease + skew passed, and seen for lease + skew) without waiting."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from gitcoord.core import refnames
from gitcoord.core.modes import Mode
from tests.fastclock import run_ahead
from tests.gitenv import Agent
from tests.gitwrap import GitWrap
from tests.remote_state import held_on_server, remote_log
from tests.test_hostile import _blob, _commit, _push_object

pytestmark = pytest.mark.transports("file")
AHEAD = 2 * 3600


def server_refs(repo: Path) -> str:
    """Every ref on the server with its object: what "changed nothing" compares."""
    return subprocess.run(
        ["git", f"--git-dir={repo}", "for-each-ref"], capture_output=True, text=True, check=True
    ).stdout


def expired_world(alice: Agent, bob: Agent, tmp_path: Path) -> None:
    """alice holds src/api.py (write) and docs/guide.md (read) for an hour, src/db.py for
    a day; bob has seen them all, and his clock is now two hours ahead."""
    assert alice.claim("src/api.py", "-r", "auth").rc == 0
    assert alice.claim("-m", "read", "docs/guide.md").rc == 0
    assert alice.claim("--ttl", "1d", "src/db.py").rc == 0
    assert bob.claim().rc == 0  # bob's clone sees the claims now
    run_ahead(bob, tmp_path / "site", AHEAD)


def test_gc_removes_expired_claims_logs_each_and_keeps_live_ones(
    alice: Agent, bob: Agent, served_repo: Path, tmp_path: Path
) -> None:
    expired_world(alice, bob, tmp_path)
    res = bob.gitcoord("gc")
    assert res.rc == 0, res.err
    lines = res.out.splitlines()
    assert lines[0].startswith("removed expired claim on docs/guide.md (read) by alice: lease ")
    assert lines[1].startswith("removed expired claim on src/api.py (write) by alice: lease ")
    assert lines[2] == (
        "gc: removed 2 expired claim(s), 0 unreadable ref(s) in 1 push(es); 1 live claim(s) left"
    )
    assert held_on_server(served_repo) == [("alice", "src/db.py", "write")]
    expire = [e for e in remote_log(served_repo) if e.event == "expire"]
    assert len(expire) == 1 and expire[0].agent == "bob"
    assert sorted(str(c["path"]) for c in expire[0].previous) == ["docs/guide.md", "src/api.py"]
    assert {c["agent"] for c in expire[0].previous} == {"alice"}

    log = bob.gitcoord("log", "src/api.py")
    assert log.rc == 0, log.err
    last = log.out.splitlines()[-1]
    assert "  bob  " in last and "  expire  " in last
    assert "  docs/guide.md (read), src/api.py (write)  " in last
    assert "held by alice" in last and '"lease + clock_skew passed"' in last
    # alice learns what became of it: expired, not broken or taken over.
    renew = alice.claim("--renew", "src/api.py")
    assert renew.rc == 1 and "(it expired and was removed)" in renew.err, renew.err

    again = bob.gitcoord("gc")
    assert (again.rc, again.out) == (0, "nothing to remove: 1 live claim(s) left\n")


def test_dry_run_changes_nothing_and_json_has_its_shape(
    alice: Agent, bob: Agent, served_repo: Path, tmp_path: Path
) -> None:
    expired_world(alice, bob, tmp_path)
    before = server_refs(served_repo)
    dry = bob.gitcoord("gc", "--dry-run")
    assert dry.rc == 0, dry.err
    assert dry.out.splitlines()[-1] == (
        "gc: would remove 2 expired claim(s), 0 unreadable ref(s); 1 live claim(s) left"
    )
    data = bob.gitcoord("gc", "--dry-run", "--json").json()
    assert server_refs(served_repo) == before
    assert set(data) == {
        "dry_run",
        "expired",
        "invalid",
        "kept",
        "waiters",
        "cleared_slots",
        "pushes",
        "live",
    }
    assert (data["dry_run"], data["invalid"], data["kept"]) == (True, [], [])
    assert (data["cleared_slots"], data["pushes"], data["live"]) == ([], 0, 1)
    assert [(c["path"], c["mode"], c["agent"]) for c in data["expired"]] == [
        ("docs/guide.md", "read", "alice"),
        ("src/api.py", "write", "alice"),
    ]
    assert {"id", "ref", "oid", "created_at", "expires_at"} <= set(data["expired"][0])
    done = bob.gitcoord("gc", "--json").json()
    assert (done["dry_run"], done["pushes"], done["live"]) == (False, 1, 1)
    assert [c["path"] for c in done["expired"]] == ["docs/guide.md", "src/api.py"]


def test_a_claim_renewed_between_gcs_read_and_its_push_survives(
    alice: Agent, bob: Agent, served_repo: Path, tmp_path: Path
) -> None:
    expired_world(alice, bob, tmp_path)
    wrap = GitWrap(bob, tmp_path / "wrap")
    wrap.arm(gate="1")
    gc = subprocess.Popen(
        ["gitcoord", "gc", "--json"],
        cwd=bob.path,
        env=bob.environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wrap.procs.append(gc)
    try:
        wrap.wait_for("at-push-1", gc)  # gc judged both expired and is about to delete them
        renewed = alice.claim("--renew", "src/api.py")
        assert renewed.rc == 0, renewed.err
        wrap.go(1)
        out, err = gc.communicate(timeout=60)
    finally:
        wrap.close()
    assert gc.returncode == 0, err
    data = json.loads(out)
    assert [c["path"] for c in data["expired"]] == ["docs/guide.md"]
    assert data["pushes"] == 2  # the stale one, then again without the renewed claim
    assert held_on_server(served_repo) == [
        ("alice", "src/api.py", "write"),
        ("alice", "src/db.py", "write"),
    ]
    expire = [e for e in remote_log(served_repo) if e.event == "expire"]
    assert [[c["path"] for c in e.previous] for e in expire] == [["docs/guide.md"]]


def test_unreadable_claim_refs_and_dead_slots_go_newer_and_foreign_refs_stay(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    write = Mode("write")
    api_ref = refnames.claim_ref("src/api.py", write, "x", "y")
    db_ref = refnames.claim_ref("src/db.py", write, "x", "y")
    future = json.dumps({"format": 99, "path": "src/db.py"})
    foreign = refnames.CLAIMS + "q/waiter"  # not the claim layout: maybe a newer gitcoord's
    slot = refnames.slot_ref("build", 0)
    _push_object(alice, refnames.WRITE + "aaaablob", _blob(alice, "not a claim"))
    _push_object(alice, api_ref, _commit(alice, "garbage\n\n{not json"))
    _push_object(alice, db_ref, _commit(alice, "from the future\n\n" + future))
    _push_object(alice, refnames.SHARED + "elsewhere", _commit(alice, "empty"))
    _push_object(alice, foreign, _commit(alice, "something newer"))
    _push_object(alice, slot, _commit(alice, "no task"))
    assert alice.claim("docs/guide.md").rc == 0

    res = bob.gitcoord("gc")
    assert res.rc == 0, res.err
    refs = server_refs(served_repo)
    for gone in (api_ref, refnames.WRITE + "aaaablob", refnames.SHARED + "elsewhere", slot):
        assert gone not in refs
        assert f" {gone}" in res.out
    assert db_ref in refs and foreign in refs
    assert f"kept {db_ref}: " in res.out and "a newer gitcoord's" in res.out
    assert f"kept {foreign}: " in res.out
    assert f"cleared {slot} (no running task)" in res.out
    assert res.out.splitlines()[-1] == (
        "gc: removed 0 expired claim(s), 3 unreadable ref(s), 1 slot(s) in 1 push(es); "
        "1 live claim(s) left"
    )
    assert refnames.claim_ref("docs/guide.md", write, "alice", "") in refs
    (entry,) = [e for e in remote_log(served_repo) if e.event == "expire"]
    assert entry.reason.startswith("removed 3 unreadable claim ref(s): ")
    assert api_ref in entry.reason and entry.previous == []


def test_gc_with_nothing_to_do_says_so_and_pushes_nothing(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    assert alice.claim("src/api.py").rc == 0
    before = server_refs(served_repo)
    res = bob.gitcoord("gc")
    assert (res.rc, res.out, res.err) == (0, "nothing to remove: 1 live claim(s) left\n", "")
    assert server_refs(served_repo) == before


TEMPLATES = Path(__file__).parent.parent / "gitcoord" / "templates" / "ci"


def job_lines(template: str, job: str) -> list[str]:
    """The lines of one top-level job (GitLab) or one job under `jobs:` (GitHub)."""
    lines = template.splitlines()
    start = lines.index(job)
    indent = len(job) - len(job.lstrip())
    end = next(
        (
            i
            for i in range(start + 1, len(lines))
            if len(lines[i]) - len(lines[i].lstrip()) <= indent
        ),
        len(lines),
    )
    return lines[start + 1 : end]


def sweep_in_a_fresh_clone(alice: Agent, commands: list[str], agent: str) -> Path:
    """Plant an unreadable claim ref and a dead pool slot beside a live claim, then run
    the sweep job's commands as CI would, in a fresh clone: both refs must go, the claim
    stay. The clone's git dir."""
    assert alice.claim("src/api.py").rc == 0
    live = refnames.claim_ref("src/api.py", Mode("write"), "alice", "")
    _push_object(alice, refnames.WRITE + "junk", _blob(alice, "not a claim"))
    _push_object(alice, refnames.slot_ref("build", 1), _commit(alice, "no task"))
    runner = alice.path.parent / "runner"
    url = alice.git("remote", "get-url", "origin").strip()
    subprocess.run(["git", "clone", "-q", url, str(runner)], env=alice.env, check=True)
    env = {**alice.env, "GITCOORD_AGENT": agent}
    for command in commands:
        proc = subprocess.run(
            ["bash", "-e", "-c", command], cwd=runner, env=env, capture_output=True, text=True
        )
        assert proc.returncode == 0, (command, proc.stderr)
    left = alice.git("ls-remote", "origin", "refs/claims/*", "refs/task-slots/*")
    assert [ln.split()[1] for ln in left.splitlines()] == [live]
    return runner / ".git"


def test_the_github_template_sweeps_on_a_schedule(alice: Agent, served_repo: Path) -> None:
    template = (TEMPLATES / "github.yml").read_text()
    assert '  schedule:\n    - cron: "23 * * * *"' in template
    assert job_lines(template, "  gitcoord:")[0] == "    if: github.event_name != 'schedule'"
    sweep = job_lines(template, "  sweep:")
    assert sweep[0] == "    if: github.event_name == 'schedule'"
    assert "      contents: write  # the deletes and their audit entries are pushes" in sweep
    runs = [ln.split("- run: ", 1)[1] for ln in sweep if ln.startswith("      - run: ")]
    assert runs == [
        'python -m pip install "$GITCOORD_INSTALL"',
        "gitcoord gc",
        "gitcoord task reap",
    ]
    (agent,) = [ln.split(": ")[1].split()[0] for ln in sweep if "GITCOORD_AGENT:" in ln]
    git_dir = sweep_in_a_fresh_clone(alice, runs[1:], agent)
    # What the cache step keeps between runs is what gc wrote.
    (cached,) = [ln.split("path: ")[1] for ln in sweep if "path: " in ln]
    assert cached == ".git/gitcoord/observed-*.marshal"
    assert list(git_dir.parent.glob(cached))
    assert [e.agent for e in remote_log(served_repo) if e.event == "expire"] == [agent]


def test_the_gitlab_template_sweeps_in_scheduled_pipelines(alice: Agent) -> None:
    template = (TEMPLATES / "gitlab.yml").read_text()
    rules = job_lines(template, "gitcoord:")
    first = rules.index('    - if: $CI_PIPELINE_SOURCE == "schedule"')
    assert rules[first - 1 : first + 2][::2] == ["  rules:", "      when: never"]
    sweep = job_lines(template, "gitcoord-sweep:")
    assert sweep[1:3] == ["  rules:", '    - if: $CI_PIPELINE_SOURCE == "schedule"']
    items = [ln.strip()[2:] for ln in sweep if ln.startswith("    - ") and "if:" not in ln]
    assert items[-2:] == ["gitcoord gc", "gitcoord task reap"]
    assert "      - .git/gitcoord/" in sweep
    git_dir = sweep_in_a_fresh_clone(alice, items[-2:], "gitcoord-sweep")
    assert list((git_dir / "gitcoord").glob("observed-*.marshal"))
