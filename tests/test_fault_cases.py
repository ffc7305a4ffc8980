"""Issue 10's fault cases 1, 2, 3, 6, 8 and 12, each through the real CLI against a real remote.

Faults stand around real processes only: a `git` wrapper first on the agent's PATH delays a
claim push or holds the process after it (tests/gitwrap.py), a process group is killed or
signalled, a fast clock is a `sitecustomize` offsetting time.time() in the gitcoord process,
hostile refs are written with plain git. After every step the served repository's refs are
checked: no two live claims of different holders conflict (live: not past lease end + skew in
real time), and exactly the expected claims are there.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gitcoord.core import refnames
from gitcoord.core.claim import (
    PROVISIONAL_SECONDS,
    Claim,
    InvalidClaim,
    new_nonce,
    parse_claim_commit,
)
from gitcoord.core.modes import Mode
from gitcoord.core.paths import ClaimPath
from gitcoord.core.timeutil import from_iso
from gitcoord.git.objects import list_refs, read_objects
from tests.fastclock import run_ahead
from tests.gitenv import Agent
from tests.gitwrap import GitWrap
from tests.remote_state import remote_claims, remote_log
from tests.test_hostile import _commit, _push_object

# -- helpers ------------------------------------------------------------------------------


@pytest.fixture
def wrapped(tmp_path: Path) -> Iterator[Callable[[Agent], GitWrap]]:
    """GitWrap(agent) for the test; whatever it spawned is killed at the end."""
    made: list[GitWrap] = []

    def wrap(agent: Agent) -> GitWrap:
        made.append(GitWrap(agent, tmp_path / f"wrap-{agent.name}"))
        return made[-1]

    yield wrap
    for w in made:
        w.close()


def _skew(skew: str, *agents: Agent) -> float:
    for agent in agents:
        agent.set_policy(f'[claims]\nclock_skew = "{skew}"\n')
    return float(skew.rstrip("s"))


def _sleep_until(at: float) -> None:
    time.sleep(max(0.0, at - time.time()))


def _safe(claims: list[Claim], skew: float, *, settled: bool = True) -> list[tuple[str, str]]:
    """Assert no two live claims of different holders conflict; the (agent, path) pairs.

    `settled=False` while a process is between its write and its read after write: its
    provisional ref may overlap a holder for that moment, so only granted claims count."""
    at = time.time()
    live = [c for c in claims if not c.is_expired(at, skew)]
    counted = live if settled else [c for c in live if not c.provisional]
    both = [(a, b) for a, b in itertools.combinations(counted, 2) if a.conflicts_with(b)]
    assert not both, f"incompatible live claims on the remote: {both}"
    return sorted((c.agent, str(c.path)) for c in claims)


def _remote(repo: Path, skew: float, *, settled: bool = True) -> list[tuple[str, str]]:
    return _safe(remote_claims(repo), skew, settled=settled)


def _tolerant(repo: Path, skew: float) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """As _remote, with hostile refs on the server: (agent, path) of the refs that parse
    as claims, and every ref under refs/claims/ and refs/claims-log/ with its OID."""
    entries = list_refs(str(repo), refnames.CLAIMS, refnames.LOG)
    raw = read_objects(str(repo), (e.oid for e in entries if e.type == "commit"))
    claims = []
    for e in entries:
        if e.ref.startswith(refnames.CLAIMS):
            try:
                claims.append(parse_claim_commit(raw.get(e.oid, b""), ref=e.ref, oid=e.oid))
            except InvalidClaim:
                continue
    return _safe(claims, skew), {e.ref: e.oid for e in entries}


def _claim_refs(repo: Path) -> dict[str, str]:
    return {c.ref: c.oid for c in remote_claims(repo)}


def _forge(path: str, created: float, ttl: int, expires: float) -> Claim:
    """A write claim of "mallory" as gitcoord.core.claim.Claim.message() writes it."""
    claim_path = ClaimPath.parse_stored(path)
    return Claim(
        id="f0f0f0f0f0f0",
        path=claim_path,
        mode=Mode.WRITE,
        agent="mallory",
        host="elsewhere",
        worktree="/srv/mallory",
        session="m",
        reason="forged",
        ttl=ttl,
        created_at=created,
        expires_at=expires,
        priority_at=created,
        nonce=new_nonce(),
        ref=refnames.claim_ref(claim_path.key, Mode.WRITE, "mallory", "m"),
    )


def _refused_then_taken(taker: Agent, holder: str, lease: int, skew: float, repo: Path) -> str:
    """`taker`'s first claim on src/api.py (its first look: its observation of `holder`'s
    claim starts there) is refused and changes nothing; once `lease` + skew passed since,
    the same claim takes the path over. The refusal's stderr."""
    before = _claim_refs(repo)
    early = taker.claim("src/api.py")
    seen_by = time.time()
    assert early.rc == 1, early.out
    assert _claim_refs(repo) == before
    assert _remote(repo, skew) == [(holder, "src/api.py")]

    _sleep_until(seen_by + lease + skew + 1.0)
    taken = taker.claim("src/api.py")
    assert taken.rc == 0, taken.err
    assert f"took over src/api.py from {holder}" in taken.out
    assert _remote(repo, skew) == [(taker.name, "src/api.py")]
    return early.err


def _plant(agent: Agent, ref: str, message: str) -> str:
    """A commit of `message` on the empty tree pushed to `ref` with plain git; its OID."""
    oid = _commit(agent, message)
    _push_object(agent, ref, oid)
    return oid


# -- case 1: a late renewal ---------------------------------------------------------------


def test_late_renewal_is_withdrawn_when_a_newer_claim_was_granted(
    alice: Agent, bob: Agent, served_repo: Path, wrapped: Callable[[Agent], GitWrap]
) -> None:
    skew = _skew("1s", alice, bob)
    made = bob.claim("src/x.py", "--ttl", "10s", "--json")
    assert made.rc == 0, made.err
    expires = from_iso(made.json()["claimed"][0]["expires_at"])
    assert alice.claim().rc == 0  # alice's observation of bob's claim starts here
    seen_by = time.time()
    assert _remote(served_repo, skew) == [("bob", "src/x.py")]

    wrap = wrapped(bob)
    wrap.arm(gate="1")  # the renewal's push waits at the wrapper until the test says go
    _sleep_until(expires - 3)
    renewal = wrap.spawn("--renew")
    wrap.wait_for("at-push-1", renewal)
    assert _remote(served_repo, skew) == [("bob", "src/x.py")]

    _sleep_until(max(expires, seen_by + 10) + skew + 1.0)
    taken = alice.claim("src/", "-r", "bob went quiet")
    assert taken.rc == 0, taken.err
    assert taken.out.startswith("claimed src/"), taken.out
    assert _remote(served_repo, skew) == [("alice", "src/"), ("bob", "src/x.py")]

    wrap.go(1)  # bob's renewal lands now, after his lease ended and alice was granted
    out, err = renewal.communicate(timeout=60)
    assert renewal.returncode == 1, (out, err)
    assert (
        "gitcoord: your claim on src/x.py had expired and was superseded (withdrawn): "
        "src/ is claimed by alice (write, expires in" in err
    ), err
    assert _remote(served_repo, skew) == [("alice", "src/")]
    assert not any(c.provisional for c in remote_claims(served_repo))


# -- case 2: killed between the push and the read after write -----------------------------


def test_killed_claim_leaves_a_short_provisional_ref_that_cannot_be_renewed_into_a_hold(
    alice: Agent, bob: Agent, served_repo: Path, wrapped: Callable[[Agent], GitWrap]
) -> None:
    skew = _skew("0s", alice, bob)
    wrap = wrapped(alice)
    wrap.arm(hold="1")
    doomed = wrap.spawn("src/", "--ttl", "10m")
    wrap.wait_for("pushed-1", doomed)  # the claim push returned; the read after it not yet
    os.killpg(doomed.pid, signal.SIGKILL)
    doomed.communicate()
    wrap.disarm()
    [orphan] = remote_claims(served_repo)
    assert (orphan.agent, str(orphan.path), orphan.provisional, orphan.ttl) == (
        "alice",
        "src/",
        True,
        600,
    )
    assert orphan.expires_at - orphan.created_at <= PROVISIONAL_SECONDS
    assert _remote(served_repo, skew) == [("alice", "src/")]

    blocked = bob.claim("src/x.py")  # bob's observation of the orphan starts here
    observed_by = time.time()
    assert blocked.rc == 1, blocked.err
    assert (
        "refused: src/x.py is inside src/: src/ is claimed by alice (write, expires in"
        in blocked.err
    )
    assert "not yet verified" in blocked.err
    assert _remote(served_repo, skew) == [("alice", "src/")]

    _sleep_until(max(observed_by + PROVISIONAL_SECONDS, orphan.lease_end) + skew + 1.0)
    granted = bob.claim("src/x.py")
    assert granted.rc == 0, granted.err
    assert granted.out.startswith("claimed src/x.py"), granted.out
    assert _remote(served_repo, skew) == [("alice", "src/"), ("bob", "src/x.py")]

    renewed = alice.claim("--renew")  # the heartbeat finds the orphan: a new write, refused
    assert renewed.rc == 1, (renewed.out, renewed.err)
    assert "your claim on src/ had expired and was superseded (withdrawn)" in renewed.err
    assert "src/x.py is claimed by bob" in renewed.err
    assert _remote(served_repo, skew) == [("bob", "src/x.py")]


# -- case 3: a waiter does not squat; interrupts retract ----------------------------------


def test_older_waiter_yields_to_a_younger_granted_holder_and_waits_without_a_ref(
    alice: Agent, bob: Agent, served_repo: Path, wrapped: Callable[[Agent], GitWrap]
) -> None:
    skew = _skew("1s", alice, bob)
    wrap = wrapped(alice)
    wrap.arm(gate="1")
    waiter = wrap.spawn("--wait=60s", "src/", "--ttl", "10m")
    wrap.wait_for("at-push-1", waiter)  # alice saw src/ free and is pushing: she is older
    younger = bob.claim("src/x.py", "--ttl", "10m")
    assert younger.rc == 0, younger.err
    assert _remote(served_repo, skew) == [("bob", "src/x.py")]

    wrap.go(1)
    deadline = time.monotonic() + 30
    while True:  # alice's ref lands, then she yields to the granted holder
        held = _remote(served_repo, skew, settled=False)
        if held == [("bob", "src/x.py")] and (wrap.state / "push-2").exists():
            break
        assert waiter.poll() is None, waiter.communicate()
        assert time.monotonic() < deadline, f"alice's ref stayed on the remote: {held}"
        time.sleep(0.1)
    quiet_until = time.monotonic() + 3
    while time.monotonic() < quiet_until:  # an ordinary waiter: nothing of hers out there
        assert _remote(served_repo, skew) == [("bob", "src/x.py")]
        assert waiter.poll() is None, waiter.communicate()
        time.sleep(0.2)

    assert bob.claim("-d", "src/x.py").rc == 0
    out, err = waiter.communicate(timeout=60)
    assert waiter.returncode == 0, (out, err)
    assert out.startswith("claimed src/"), out
    assert "waiting: src/x.py is claimed by bob (write, expires in" in err
    assert _remote(served_repo, skew) == [("alice", "src/")]
    assert not any(c.provisional for c in remote_claims(served_repo))


def _interrupt_after_push(
    agent: Agent, wrap: GitWrap, repo: Path, skew: float, args: tuple[str, ...], sig: int
) -> tuple[int, str]:
    """Signal `git-claim ARGS`' process group while its read after write is held back;
    assert nothing of it is left on the remote. Its exit code and stderr."""
    wrap.arm(hold_fetch="1")  # the read after the claim push does not start
    proc = wrap.spawn(*args)
    wrap.wait_for("holding-fetch", proc)
    [pushed] = remote_claims(repo)
    assert (pushed.agent, str(pushed.path), pushed.provisional) == (agent.name, "src/", True)
    os.killpg(proc.pid, sig)
    _, err = proc.communicate(timeout=60)
    wrap.disarm()
    assert _remote(repo, skew) == [], (sig, err)
    return proc.returncode, err


SIGNALS = ((signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated"))


def test_sigint_or_sigterm_between_push_and_verification_retracts(
    alice: Agent, bob: Agent, served_repo: Path, wrapped: Callable[[Agent], GitWrap]
) -> None:
    skew = _skew("1s", alice, bob)
    wrap = wrapped(alice)
    for sig, code, said in SIGNALS:
        rc, err = _interrupt_after_push(alice, wrap, served_repo, skew, ("src/",), sig)
        assert (rc, err) == (code, f"gitcoord: {said}\n")
    free = bob.claim("src/x.py")
    assert free.rc == 0, free.err
    assert _remote(served_repo, skew) == [("bob", "src/x.py")]


def test_interrupting_a_waiter_between_push_and_verification_exits_130_or_143(
    alice: Agent, served_repo: Path, wrapped: Callable[[Agent], GitWrap]
) -> None:
    skew = _skew("1s", alice)
    wrap = wrapped(alice)
    seen = []
    for sig, _, _ in SIGNALS:
        args = ("--wait=60s", "src/", "--ttl", "10m")
        seen.append(_interrupt_after_push(alice, wrap, served_repo, skew, args, sig))
    assert seen == [(code, f"gitcoord: {said}\n") for _, code, said in SIGNALS]


# -- case 6: a lost claim is never silent -------------------------------------------------


def test_heartbeat_and_release_all_name_who_broke_a_claim(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    skew = _skew("1s", alice, bob)
    assert alice.claim("src/api.py").rc == 0
    assert alice.claim("docs/").rc == 0
    assert _remote(served_repo, skew) == [("alice", "docs/"), ("alice", "src/api.py")]
    assert bob.claim("--break", "src/api.py", "-r", "stuck").rc == 0
    assert _remote(served_repo, skew) == [("alice", "docs/")]

    renew = alice.claim("--renew")
    assert renew.rc == 1, (renew.out, renew.err)
    assert 'gitcoord: your claim on src/api.py was lost (broken by bob: "stuck")' in renew.err
    assert "(your other 1 claim(s) were renewed)" in renew.err
    assert _remote(served_repo, skew) == [("alice", "docs/")]

    assert bob.claim("--break", "docs/", "-r", "stuck too").rc == 0
    assert _remote(served_repo, skew) == []
    release = alice.claim("-d", "--all")
    assert release.rc == 1, (release.out, release.err)
    assert 'gitcoord: your claim on docs/ was lost (broken by bob: "stuck too")' in release.err
    assert _remote(served_repo, skew) == []


# -- case 8: a clock running ahead ----------------------------------------------------------


def test_a_clock_running_ahead_does_not_take_a_live_claim(
    alice: Agent, bob: Agent, served_repo: Path, tmp_path: Path
) -> None:
    skew = _skew("1s", alice, bob)
    made = bob.claim("src/api.py", "--ttl", "12s", "--json")
    assert made.rc == 0, made.err
    expires = from_iso(made.json()["claimed"][0]["expires_at"])
    run_ahead(alice, tmp_path / "fast-clock", 120)

    assert time.time() < expires  # the premise: bob's claim is live in real time
    refusal = _refused_then_taken(alice, "bob", 12, skew, served_repo)
    # Her clock said bob's lease had ended (2 minutes ago); her own observation, not yet.
    assert "refused: src/api.py is claimed by bob (write, expired " in refusal
    assert "this clone may take it over in " in refusal


# -- case 12: hostile claim contents ------------------------------------------------------


def test_forged_far_expiry_is_judged_by_created_at_and_ttl(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    skew = _skew("1s", bob)
    forever = from_iso("9999-12-31T00:00:00.000Z")
    forged = _forge("src/api.py", time.time() - 7200, 2, forever)  # 2 h old, a 2 s lease
    _plant(alice, forged.ref, forged.message())
    assert _remote(served_repo, skew) == [("mallory", "src/api.py")]

    refusal = _refused_then_taken(bob, "mallory", 2, skew, served_repo)
    assert "refused: src/api.py is claimed by mallory (write, " in refusal


def test_break_of_a_newer_format_claim_deletes_nothing(
    alice: Agent, bob: Agent, served_repo: Path
) -> None:
    skew = _skew("1s", bob)
    at = time.time()
    forged = _forge("src/api.py", at, 3600, at + 3600)
    data = {**forged.to_json(), "format": 2}
    message = 'claim write "src/api.py" by mallory\n\n' + json.dumps(data, indent=1) + "\n"
    oid = _plant(alice, forged.ref, message)
    assert _tolerant(served_repo, skew) == ([], {forged.ref: oid})

    broke = bob.claim("--break", "src/api.py", "-r", "looks stale")
    assert broke.rc == 3, (broke.out, broke.err)
    assert "holds a claim on src/api.py from a newer gitcoord" in broke.err
    assert "fix: upgrade gitcoord" in broke.err
    assert _tolerant(served_repo, skew) == ([], {forged.ref: oid})


def _blocked_until_removed(
    agent: Agent, blocker: str, wanted: str, args: tuple[str, ...], repo: Path
) -> None:
    """A ref `blocker`, pushed with plain git, stands where gitcoord's layout puts `wanted`:
    `git claim ARGS` exits 1 naming it and the push that removes it, and changes nothing;
    after that very push, the same claim works."""
    skew = _skew("1s", agent)
    head = agent.git("rev-parse", "HEAD").strip()
    _push_object(agent, blocker, head)
    assert _tolerant(repo, skew) == ([], {blocker: head})

    blocked = agent.claim(*args)
    assert blocked.rc == 1, (blocked.out, blocked.err)
    assert f"the ref {blocker} on the remote is in the way of {wanted}" in blocked.err
    assert f"fix: remove it: git push origin :{blocker}" in blocked.err
    assert _tolerant(repo, skew) == ([], {blocker: head})

    agent.git("push", "origin", f":{blocker}")
    claimed = agent.claim(*args)
    assert claimed.rc == 0, claimed.err
    assert _remote(repo, skew) == [(agent.name, args[-1])]


def test_a_ref_shadowing_the_shared_claims_is_named_with_its_removal(
    bob: Agent, served_repo: Path
) -> None:
    args = ("-m", "read", "docs/")
    _blocked_until_removed(bob, "refs/claims/s", "refs/claims/s/", args, served_repo)


def test_a_ref_under_an_agents_log_key_is_named_with_its_removal(
    alice: Agent, served_repo: Path
) -> None:
    log = refnames.log_ref("alice")
    _blocked_until_removed(alice, log + "/x", log, ("src/api.py",), served_repo)


# -- issue 11: a break whose push got no answer but landed anyway -------------------------
#
# The fault stands where the network does: the break's push reaches the server, the
# client's git is killed while the server holds the push prepared (exit 128, no per-ref
# report, as on a dropped connection), and the server commits it only after the client's
# read of the remote. The remote's refs say what happened; the command must agree.


def _log_tip(repo: Path, agent: str) -> str | None:
    found = list_refs(str(repo), refnames.log_ref(agent))
    return found[0].oid if found else None


@pytest.mark.transports("file", "ssh")
def test_a_break_that_landed_unanswered_exits_0(
    alice: Agent, bob: Agent, served_repo: Path, wrapped: Callable[[Agent], GitWrap]
) -> None:
    made = bob.claim("src/x.py", "-r", "working")
    assert made.rc == 0, made.err
    assert [(c.agent, str(c.path)) for c in remote_claims(served_repo)] == [("bob", "src/x.py")]
    before = _log_tip(served_repo, "alice")

    wrap = wrapped(alice)
    wrap.arm(cut="1", cut_server=served_repo)
    broke = wrap.spawn("--break", "src/x.py", "-r", "bob is gone")
    out, err = broke.communicate(timeout=120)

    assert (wrap.state / "cut-prepared").exists()  # the fault happened: the push was cut
    assert (wrap.state / "cut-committed").exists()  # and the server applied it after all
    assert remote_claims(served_repo) == []  # the remote says: broken
    assert _log_tip(served_repo, "alice") != before
    breaks = [(e.agent, e.reason) for e in remote_log(served_repo) if e.event == "break"]
    assert breaks == [("alice", "bob is gone")]  # recorded once: the retry did not land
    assert (broke.returncode, out, err) == (
        0,
        "broke bob's write claim on src/x.py (recorded in the audit log)\n",
        "",
    )
