"""Race harness: long-lived worker processes that claim through the real protocol in rounds.

Each worker is an agent session in a clone (several workers may share one clone, each with its
own GITCOORD_SESSION); a round starts all workers at one barrier, each does its operation once
(a claim, a claim that waits a little, a renewal or a release of what it holds), and reports
its verdict with the claims it ended up holding. Workers run the real Coordinator over real
git, in-process, so a round costs git's time rather than Python start-up.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

from gitcoord.core.errors import GitcoordError, Refused

if TYPE_CHECKING:
    from collections.abc import Sequence

    from gitcoord.core.claim import Claim


@dataclass(frozen=True)
class Want:
    paths: tuple[str, ...]  # stored form: 'src/' for a directory
    mode: str = "write"
    wait: float | None = None  # a claim that queues this long (seconds) before refusing
    priority: str = "normal"  # its place in the queue while it waits (--priority)
    hold: float = 0.0  # once won, hold this long (seconds), then release, in one operation


@dataclass(frozen=True)
class Report:
    """One operation's outcome: verdict won/refused/renewed/released/error, the message, how
    long it took, and the claims it returned as (ref, oid) (held, renewed or released)."""

    verdict: str
    detail: str = ""
    seconds: float = 0.0
    claims: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    waited: bool = False  # a claim that reported waiting for a holder


def _worker(clone: str, env: dict[str, str], conn: Connection, barrier: object) -> None:
    os.environ.clear()
    os.environ.update(env)
    from gitcoord.core.modes import Mode
    from gitcoord.core.paths import ClaimPath
    from gitcoord.git.repo import Repo
    from gitcoord.protocol.coordinator import Coordinator, Request
    from gitcoord.store.claimstore import ClaimStore
    from gitcoord.store.policy_source import load_policy

    repo = Repo.discover(clone)
    config = load_policy(repo.toplevel).config
    me = repo.identity()
    progress: list[str] = []
    coord = Coordinator(
        ClaimStore(repo, config, me), config, me, contend=1.0, progress=progress.append
    )
    while True:
        msg = conn.recv()
        if msg is None:
            return
        kind, want, at_barrier = msg
        progress.clear()
        started = time.monotonic()
        try:
            paths = None if want is None else [ClaimPath.parse_stored(p) for p in want.paths]
            if at_barrier:
                barrier.wait()  # type: ignore[attr-defined]
                started = time.monotonic()
            if kind == "claim":
                assert paths is not None
                requests = [Request(p, Mode(want.mode)) for p in paths]
                held = coord.claim(
                    requests, ttl=600, reason="race", wait=want.wait, priority=want.priority
                ).held
                report = Report("won", "", time.monotonic() - started, _refs(held))
                if want.hold:
                    time.sleep(want.hold)
                    coord.release(paths)
            elif kind == "renew":
                renewed = coord.renew(paths, 600)
                report = Report("renewed", "", time.monotonic() - started, _refs(renewed))
            else:
                released = coord.release(paths)
                report = Report("released", "", time.monotonic() - started, _refs(released))
        except Refused as exc:
            report = Report("refused", exc.message, time.monotonic() - started)
        except GitcoordError as exc:
            report = Report("error", exc.render())
        except Exception:
            report = Report("error", traceback.format_exc())
        waited = any(line.startswith("waiting: ") for line in progress)
        conn.send(Report(report.verdict, report.detail, report.seconds, report.claims, waited))


def _refs(claims: Sequence[Claim]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((c.ref, c.oid) for c in claims))


class Racers:
    """N workers, one per (clone, environment); `round()` and `race()` run one race and return
    each worker's verdict; `ask()` runs one operation of one worker alone."""

    def __init__(self, clones: list[tuple[Path, dict[str, str]]]) -> None:
        ctx = mp.get_context("fork")
        self.barrier = ctx.Barrier(len(clones))
        self.conns: list[Connection] = []
        self.procs = []
        self.claim_seconds: list[float] = []  # every claim attempt, won or refused
        self.last: list[Report] = [Report("none")] * len(clones)
        for path, env in clones:
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_worker, args=(str(path), env, child, self.barrier))
            proc.start()
            self.conns.append(parent)
            self.procs.append(proc)

    def _receive(self, i: int, kind: str) -> Report:
        report: Report = self.conns[i].recv()
        self.last[i] = report
        if kind == "claim" and report.verdict in ("won", "refused"):
            self.claim_seconds.append(report.seconds)
        return report

    def race(self, ops: list[tuple[str, Want | None]]) -> list[Report]:
        """Every worker at once, from one barrier: op i (claim, renew or release) by worker i."""
        for conn, (kind, want) in zip(self.conns, ops, strict=True):
            conn.send((kind, want, True))
        return [self._receive(i, kind) for i, (kind, _) in enumerate(ops)]

    def round(self, wants: list[Want]) -> list[tuple[str, str]]:
        return [(r.verdict, r.detail) for r in self.race([("claim", w) for w in wants])]

    def ask(self, i: int, kind: str, want: Want | None) -> tuple[str, str]:
        """One operation by worker i alone, no barrier: kind is claim, renew or release
        (want None: all of its claims)."""
        if kind == "claim" and want is None:
            raise ValueError("a claim needs a Want")
        self.conns[i].send((kind, want, False))
        report = self._receive(i, kind)
        return report.verdict, report.detail

    def release(self, which: list[int]) -> None:
        for i in which:
            self.conns[i].send(("release", None, False))
        for i in which:
            report = self._receive(i, "release")
            assert report.verdict == "released", report.detail

    def close(self) -> None:
        for conn in self.conns:
            conn.send(None)
        for proc in self.procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
