"""The task queue end to end (issue 15): the real `gitcoord task` CLI in real clones against
a real bare remote; what landed is read from the server's refs and task histories."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from gitcoord.core.config import parse_config
from gitcoord.core.config_tasks import TaskKind, TasksConfig
from gitcoord.core.task import Task
from gitcoord.core.timeutil import from_iso
from tests.fetchfault import FetchFault
from tests.gitenv import Agent, Result
from tests.taskenv import server_history, server_refs, server_tasks, share_policy
from tests.test_hostile import _blob, _push_object
from tests.test_hostile_objects import _commit

pytestmark = pytest.mark.transports("file")  # the queue's rules; races: test_task_race.py


def _ok(res: Result) -> Any:
    assert res.rc == 0, res.err
    return res.json()


def _task(agent: Agent, *args: str) -> dict[str, Any]:
    data = _ok(agent.gitcoord("task", *args, "--json"))
    assert isinstance(data["task"], dict)
    return data["task"]


def _states(repo: Path) -> dict[str, str]:
    """Task id -> state, from the server's refs."""
    return {t.id: t.state for t in server_tasks(repo).values()}


def test_add_list_show_and_the_history_chain(alice: Agent, bob: Agent, served_repo: Path) -> None:
    (alice.path / "spec.txt").write_text("the details\n")
    added = _task(
        alice, "add", "write the docs", "--id", "docs-1", "--body", "@spec.txt",
        "--input", '{"dir": "docs"}', "--paths", "docs/guide.md", "--priority", "3",
    )  # fmt: skip
    assert added["state"] == "pending" and added["ref"] == "refs/tasks/pending/docs-1"
    assert (added["body"], added["input"], added["paths"]) == (
        "the details\n",
        {"dir": "docs"},
        ["docs/guide.md"],
    )
    other = _task(alice, "add", "second")
    assert other["id"].startswith("t-") and len(other["id"]) == 12
    listed = _ok(bob.gitcoord("task", "list", "--json"))
    assert [t["id"] for t in listed["tasks"]] == ["docs-1", other["id"]]
    assert listed["invalid"] == []
    assert set(listed["tasks"][0]) >= {
        "id", "title", "state", "kind", "priority", "after", "pool", "paths", "owner",
        "attempts", "created_at", "taken_at", "expires_at", "finished_at", "heartbeat_at",
        "input", "result", "reason",
    }  # fmt: skip

    took = _task(bob, "take")
    assert took["id"] == "docs-1" and took["owner"]["agent"] == "bob"
    done = _task(bob, "done", "docs-1", "--result", '{"pages": 4}', "--commit", "HEAD")
    assert done["state"] == "done" and done["result"] == {"pages": 4} and len(done["commit"]) == 40
    shown = _ok(alice.gitcoord("task", "show", "docs-1", "--json"))
    assert [v["state"] for v in shown["history"]] == ["pending", "running", "done"]
    # The history is the task's own chain on the server: each version's parent the one before.
    chain = server_history(served_repo, server_refs(served_repo, "refs/tasks/done/")[done["ref"]])
    assert [v.oid for v in chain] == [v["oid"] for v in shown["history"]]
    assert [v.state for v in chain] == ["pending", "running", "done"]
    assert _states(served_repo) == {"docs-1": "done", other["id"]: "pending"}
    human = alice.gitcoord("task", "show", "docs-1")
    assert "running for bob" in human.out and "history:" in human.out
    bad = alice.gitcoord("task", "add", "x", "--id", "Bad/ID")
    assert bad.rc == 2 and "invalid task id" in bad.err
    again = alice.gitcoord("task", "add", "x", "--id", "docs-1")
    assert again.rc == 1 and "exists (done)" in again.err
    for title in ("two\nlines", "a\ttab", "\x1b[31mred", "rtl \u202e", "  "):
        refused = alice.gitcoord("task", "add", title)
        assert refused.rc == 2, (title, refused.err)
        assert "a task title is " in refused.err and "\x1b" not in refused.err, refused.err
    assert 'characters, not "two\\nlines"' in alice.gitcoord("task", "add", "two\nlines").err
    kindless = alice.gitcoord("task", "add", "x", "--kind", "lint")
    assert kindless.rc == 2, kindless.err
    assert "no task kind 'lint' in gitcoord.toml (gitcoord.toml declares none)" in kindless.err


def test_take_picks_priority_then_oldest_and_waits_for_after(alice: Agent, bob: Agent) -> None:
    for args in (("a",), ("b", "--priority", "5"), ("c", "--priority", "5", "--after", "a")):
        _task(alice, "add", args[0], "--id", *args)
    _task(alice, "add", "d", "--id", "d")
    assert _task(bob, "take")["id"] == "b"  # c has priority 5 too, but waits for a
    assert _task(bob, "take")["id"] == "a"
    waiting = bob.gitcoord("task", "take", "c")
    assert waiting.rc == 1 and "task c waits for a" in waiting.err
    _task(bob, "done", "a")
    assert _task(bob, "take")["id"] == "c"  # ready now, and before the older d
    assert _task(alice, "take")["id"] == "d"
    none = alice.gitcoord("task", "take", "--json")
    assert (none.rc, none.json()) == (1, {"task": None})
    assert "no pending task" in none.err
    missing = alice.gitcoord("task", "add", "e", "--after", "nope")
    assert missing.rc == 2 and "--after nope: no such task" in missing.err


def test_take_wait_retries_a_look_that_cannot_reach_the_remote(
    alice: Agent, bob: Agent, tmp_path: Path
) -> None:
    fault = FetchFault(bob, tmp_path / "fault")
    _task(alice, "add", "x", "--id", "x")
    fault.fail(1, 2)  # bob's first two looks for a task: connection reset
    took = bob.gitcoord("task", "take", "--wait", "1m", "--json")
    assert took.rc == 0, took.err
    assert took.json()["task"]["id"] == "x" and fault.failed() == [1, 2]
    warned = "gitcoord: warning: could not look for a task: cannot reach remote 'origin'"
    assert took.err.count(warned) == 2, took.err
    assert "retrying in 1s" in took.err and "retrying in 2s" in took.err
    # Without --wait there is nothing to wait through: one failed look is exit 3.
    _task(alice, "add", "y", "--id", "y")
    fault.fail(1)
    once = bob.gitcoord("task", "take")
    assert once.rc == 3 and "Connection reset by peer" in once.err, once.err
    assert _task(bob, "take")["id"] == "y"


def test_a_lease_is_bounded_by_claims_max_ttl(alice: Agent, served_repo: Path) -> None:
    share_policy('[claims]\nmax_ttl = "1h"\n', alice)
    _task(alice, "add", "x", "--id", "x")
    for args in (("task", "take", "--ttl", "2h"), ("worker", "run", "--ttl", "2h", "--", "true")):
        long = alice.gitcoord(*args)
        assert long.rc == 2, long.err
        assert "--ttl 2h is longer than the longest lease, 1h ([claims] max_ttl" in long.err
        assert "fix: take it for less and heartbeat it" in long.err
    assert _states(served_repo) == {"x": "pending"}
    _task(alice, "take", "--ttl", "1h")
    beat = alice.gitcoord("task", "heartbeat", "x", "--ttl", "90m")
    assert beat.rc == 2 and "--ttl 1h30m is longer than the longest lease" in beat.err, beat.err
    # A default lease over it is the policy's mistake, named where it is written.
    share_policy('[claims]\nmax_ttl = "1h"\n[tasks]\nttl = "2h"\n', alice)
    default = alice.gitcoord("task", "heartbeat", "x")
    assert default.rc == 2, default.err
    assert "tasks.ttl: must be at most [claims] max_ttl (1h)" in default.err


def test_done_commit_must_be_a_commit_on_a_remote(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    _task(alice, "add", "fix", "--id", "fix")
    _task(bob, "take")
    bob.commit_file("src/fix.py", "fixed\n", "the fix")  # not pushed
    for text in ("HEAD^{tree}", "no-such-rev", ""):
        bad = bob.gitcoord("task", "done", "fix", "--commit", text)
        assert bad.rc == 2 and "is not a commit in this repository" in bad.err, (text, bad.err)
    unpushed = bob.gitcoord("task", "done", "fix", "--commit", "HEAD")
    assert unpushed.rc == 1, unpushed.err
    assert "--commit HEAD (" in unpushed.err and "is on no remote" in unpushed.err
    assert "fix: push it first (e.g. `git push origin HEAD`)" in unpushed.err
    assert _states(served_repo) == {"fix": "running"}
    # Pushed by URL, no remote-tracking ref knows it yet: the fetch done checks with does.
    bob.git("push", "-q", "--no-verify", str(served_repo), "HEAD:refs/heads/bob-fix")
    head = bob.git("rev-parse", "HEAD").strip()
    assert _task(bob, "done", "fix", "--commit", "HEAD")["commit"] == head
    assert bob.git("rev-parse", "refs/remotes/origin/bob-fix").strip() == head


def test_init_writes_the_task_queues_sections(alice: Agent) -> None:
    assert alice.gitcoord("init").rc == 0
    text = (alice.path / "gitcoord.toml").read_text()
    assert '[tasks]\nttl = "30m"\nmax_attempts = 3\n' in text
    assert "# [tasks.kinds.review]\n" in text and "# [pools.gpu]\n# slots = 2\n" in text
    # Its examples, uncommented, are a policy the loader reads as they say.
    examples = ("[tasks.kinds.review]", "input = ", "result = ", "[pools.gpu]", "slots = ")
    live = "".join(
        ln.removeprefix("# ") for ln in text.splitlines(keepends=True)
        if ln.removeprefix("# ").startswith(examples)
    )  # fmt: skip
    config = parse_config(text + live)
    assert config.tasks == TasksConfig(
        ttl=1800,
        max_attempts=3,
        kinds={"review": TaskKind("schemas/review-in.json", "schemas/review-out.json")},
    )
    assert config.pools == {"gpu": 2}


def test_a_pool_runs_at_most_its_slots(
    alice: Agent, bob: Agent, carol: Agent, served_repo: Path
) -> None:
    share_policy("[pools.gpu]\nslots = 2\n[pools.solo]\nslots = 1\n", alice, bob, carol)
    for n in range(3):
        _task(alice, "add", f"train {n}", "--id", f"train-{n}", "--pool", "gpu")
    _task(alice, "add", "plain", "--id", "plain")
    first, second = _task(alice, "take", "--pool", "gpu"), _task(bob, "take", "--pool", "gpu")
    assert (first["id"], second["id"]) == ("train-0", "train-1")
    full = carol.gitcoord("task", "take", "--pool", "gpu", "--json")
    assert (full.rc, full.json()) == (1, {"task": None})
    assert "pool gpu: all 2 slots are held" in full.err
    slots = server_refs(served_repo, "refs/task-slots/")
    assert sorted(slots.values()) == sorted([first["oid"], second["oid"]])
    assert _task(carol, "take")["id"] == "plain"  # tasks of no pool are not bounded by it
    _task(bob, "done", "train-1")
    assert _task(carol, "take", "--pool", "gpu")["id"] == "train-2"
    assert len(server_refs(served_repo, "refs/task-slots/gpu/")) == 2
    for n in range(2):
        _task(alice, "add", f"solo {n}", "--id", f"solo-{n}", "--pool", "solo")
    _task(alice, "take", "--pool", "solo")
    one = bob.gitcoord("task", "take", "--pool", "solo")
    assert one.rc == 1 and "pool solo: its one slot is held by a running task" in one.err
    undeclared = alice.gitcoord("task", "add", "x", "--pool", "cpu")
    assert undeclared.rc == 2 and "no pool 'cpu'" in undeclared.err


LINT_INPUT = {
    "type": "object",
    "required": ["dir"],
    "properties": {"dir": {"type": "string"}, "depth": {"type": "integer"}},
}
LINT_RESULT = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}


def test_typed_contracts_refuse_a_bad_input_and_a_bad_result(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    share_policy(
        '[tasks.kinds.lint]\ninput = "schemas/lint-in.json"\nresult = "schemas/lint-out.json"\n'
        "[tasks.kinds.note]\n",  # a kind without a contract
        alice,
        bob,
        files={
            "schemas/lint-in.json": json.dumps(LINT_INPUT),
            "schemas/lint-out.json": json.dumps(LINT_RESULT),
        },
    )
    wrong = alice.gitcoord("task", "add", "lint", "--kind", "lint", "--input", '{"dir": 3}')
    assert wrong.rc == 2 and "at input.dir: 3 is not of type 'string'" in wrong.err, wrong.err
    lacking = alice.gitcoord("task", "add", "lint", "--kind", "lint", "--input", '{"depth": 1}')
    assert lacking.rc == 2 and "'dir' is a required property" in lacking.err
    # No input: said in JSON's words, at the root, not Python's None.
    none = alice.gitcoord("task", "add", "lint", "--kind", "lint")
    assert none.rc == 2, none.err
    assert "the input of a task of kind 'lint' does not match schemas/lint-in.json" in none.err
    assert "at the root of the input: null is not of type 'object'" in none.err
    assert "fix: give an input that schemas/lint-in.json accepts" in none.err
    nulled = alice.gitcoord("task", "add", "lint", "--kind", "lint", "--input", '{"dir": null}')
    assert "at input.dir: null is not of type 'string'" in nulled.err, nulled.err
    # An undeclared kind is a typo until declared: refused, naming the declared ones.
    typo = alice.gitcoord("task", "add", "lint", "--kind", "lnit", "--input", '{"dir": "src"}')
    assert typo.rc == 2, typo.err
    assert "no task kind 'lnit' in gitcoord.toml (declared: lint, note)" in typo.err
    assert "[tasks.kinds.lnit]" in typo.err
    assert server_tasks(served_repo) == {}
    _task(alice, "add", "lint", "--id", "lint-1", "--kind", "lint", "--input", '{"dir": "src"}')
    _task(bob, "take")
    bad = bob.gitcoord("task", "done", "lint-1", "--result", '{"ok": "yes"}')
    assert bad.rc == 2 and "at result.ok: 'yes' is not of type 'boolean'" in bad.err, bad.err
    assert "fix: give a result that schemas/lint-out.json accepts" in bad.err
    assert _states(served_repo) == {"lint-1": "running"}
    assert _task(bob, "done", "lint-1", "--result", '{"ok": true}')["result"] == {"ok": True}
    assert _task(alice, "add", "a note", "--kind", "note", "--input", "[1]")["kind"] == "note"


def test_release_fail_and_retry_until_max_attempts(alice: Agent, served_repo: Path) -> None:
    share_policy("[tasks]\nmax_attempts = 2\n", alice)
    _task(alice, "add", "flaky", "--id", "flaky")
    _task(alice, "take")
    released = _task(alice, "release", "flaky")
    assert (released["state"], released["attempts"], released["owner"]) == ("pending", 0, None)
    _task(alice, "take")
    retried = _task(alice, "fail", "flaky", "-r", "tests timed out", "--retry")
    assert (retried["state"], retried["attempts"]) == ("pending", 1)
    assert retried["reason"] == "tests timed out"
    _task(alice, "take")
    last = _task(alice, "fail", "flaky", "-r", "again", "--retry")
    assert (last["state"], last["attempts"]) == ("failed", 2)
    assert "no retries left" in last["reason"]
    _task(alice, "add", "broken", "--id", "broken")
    _task(alice, "take")
    assert _task(alice, "fail", "broken", "-r", "cannot")["state"] == "failed"
    assert _states(served_repo) == {"flaky": "failed", "broken": "failed"}
    states = [v.state for v in server_history(served_repo, _oid(served_repo, "failed", "flaky"))]
    assert states == ["pending", "running", "pending", "running", "pending", "running", "failed"]
    no_reason = alice.gitcoord("task", "fail", "broken")
    assert no_reason.rc == 2 and "needs a reason" in no_reason.err


def _past(task: dict[str, Any]) -> None:
    """Sleep until the task's lease has ended (by this machine's clock, the reaper's too)."""
    time.sleep(max(0.0, from_iso(task["expires_at"]) - time.time() + 0.05))


def _oid(repo: Path, state: str, task_id: str) -> str:
    return server_refs(repo, f"refs/tasks/{state}/")[f"refs/tasks/{state}/{task_id}"]


def test_heartbeat_extends_reap_requeues_then_fails_and_the_late_owner_is_refused(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    share_policy('[claims]\nclock_skew = "0s"\n[tasks]\nmax_attempts = 2\n', alice, bob)
    _task(alice, "add", "slow", "--id", "slow")
    took = _task(alice, "take", "--ttl", "1s")
    beat = _task(alice, "heartbeat", "slow", "--ttl", "1h")
    assert beat["expires_at"] > took["expires_at"] and beat["taken_at"] == took["taken_at"]
    assert took["heartbeat_at"] == took["taken_at"] and beat["heartbeat_at"] > took["taken_at"]
    assert _ok(bob.gitcoord("task", "reap", "--json"))["reaped"] == []  # extended: not expired
    _past(_task(alice, "heartbeat", "slow", "--ttl", "1s"))
    dry = _ok(bob.gitcoord("task", "reap", "--dry-run", "--json"))
    assert [t["state"] for t in dry["reaped"]] == ["pending"] and _states(served_repo) == {
        "slow": "running"
    }
    reaped = _ok(bob.gitcoord("task", "reap", "--json"))["reaped"]
    assert [(t["state"], t["attempts"]) for t in reaped] == [("pending", 1)]
    assert "lease expired while running for alice" in reaped[0]["reason"]
    retaken = _task(bob, "take", "--ttl", "1s")
    late = alice.gitcoord("task", "done", "slow")
    assert late.rc == 1 and "running for bob" in late.err, late.err
    late_beat = alice.gitcoord("task", "heartbeat", "slow")
    assert late_beat.rc == 1 and "running for bob" in late_beat.err
    assert _states(served_repo) == {"slow": "running"}
    _past(retaken)
    final = _ok(alice.gitcoord("task", "reap", "--json"))["reaped"]
    assert [(t["state"], t["attempts"]) for t in final] == [("failed", 2)]
    too_late = bob.gitcoord("task", "done", "slow")
    assert too_late.rc == 1 and "is failed" in too_late.err
    history = server_history(served_repo, _oid(served_repo, "failed", "slow"))
    owners = [(v.state, v.owner.agent if v.owner else None) for v in history]
    assert owners == [
        ("pending", None),
        ("running", "alice"),
        ("running", "alice"),
        ("running", "alice"),
        ("pending", None),
        ("running", "bob"),
        ("failed", "bob"),
    ]


def test_the_owner_moves_its_task_on_the_version_it_pushed_without_a_fetch(
    alice: Agent, bob: Agent, tmp_path: Path, served_repo: Path
) -> None:
    """A take's push is mirrored, so the owner's heartbeat and done lease on the version in
    hand: no read of the board before them. A stale one is read again (the late owner's
    refusal above)."""
    _task(alice, "add", "quick", "--id", "quick")
    fault = FetchFault(alice, tmp_path / "fault")
    fault.fail()  # count the fetches of task refs from here, failing none
    assert _task(alice, "take")["id"] == "quick"
    took = fault.fetches()
    _task(alice, "heartbeat", "quick")
    assert _task(alice, "done", "quick")["state"] == "done"
    assert fault.fetches() == took
    assert _states(served_repo) == {"quick": "done"}
    _task(bob, "add", "other", "--id", "other")  # a task the mirror has never seen: read
    assert _task(bob, "take")["id"] == "other"
    assert alice.gitcoord("task", "done", "other").rc == 1  # not mine, after a fresh read
    assert fault.fetches() == took + 1


def test_forged_task_refs_are_listed_invalid_and_never_stop_a_take(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    share_policy("[pools.gpu]\nslots = 1\n", alice, bob)
    _task(alice, "add", "real", "--id", "real")
    _task(alice, "add", "blocked", "--id", "blocked", "--priority", "9")
    _push_object(alice, "refs/tasks/pending/huge", _commit(alice, "task\n\n" + "x" * 70_000))
    _push_object(alice, "refs/tasks/pending/garbage", _commit(alice, "task\n\n{not json"))
    _push_object(alice, "refs/tasks/pending/blob", _blob(alice, "not a task"))
    _push_object(alice, "refs/tasks/bogus/x", _commit(alice, "task\n\n{}"))
    # A ref in the way of a pending task's running ref: that task cannot be taken.
    _push_object(alice, "refs/tasks/running/blocked", _commit(alice, "task\n\n[]"))
    _push_object(alice, "refs/task-slots/gpu/0", _commit(alice, "slot\n\n{}"))
    # A task well formed but for its title, which a reader must not print as two lines.
    two_lines = Task(id="nl", title="two\nlines", created_at=time.time(), nonce="00").message()
    _push_object(alice, "refs/tasks/pending/nl", _commit(alice, two_lines))
    listed = _ok(bob.gitcoord("task", "list", "--json"))
    assert sorted(t["id"] for t in listed["tasks"]) == ["blocked", "real"]
    problems = {i["ref"]: i["problem"] for i in listed["invalid"]}
    assert "over the limit" in problems["refs/tasks/pending/huge"]
    assert "not JSON" in problems["refs/tasks/pending/garbage"]
    assert "not a commit" in problems["refs/tasks/pending/blob"]
    assert "not a task state" in problems["refs/tasks/bogus/x"]
    assert "not a JSON object" in problems["refs/tasks/running/blocked"]
    assert "field 'title': a task title is one line" in problems["refs/tasks/pending/nl"]
    human = bob.gitcoord("task", "list")
    assert human.rc == 0 and human.out.count("invalid  refs/tasks/") == 6
    assert _task(bob, "take")["id"] == "real"  # not the forged ones, not the blocked one
    cleared = _ok(bob.gitcoord("task", "reap", "--json"))["cleared_slots"]
    assert cleared == ["refs/task-slots/gpu/0"]
    assert server_refs(served_repo, "refs/task-slots/") == {}
