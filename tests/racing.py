"""Race harness: long-lived worker processes that claim through the real protocol in rounds.

Each worker is an agent with its own clone; a round starts all workers at one barrier, each
tries its claim once (no waiting), and reports won/refused. Winners release before the next
round. Workers run the real Coordinator over real git, in-process, so a round costs git's time
rather than Python start-up.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from gitcoord.errors import GitcoordError, Refused


@dataclass(frozen=True)
class Want:
    paths: tuple[str, ...]  # stored form: 'src/' for a directory
    mode: str = "write"


def _worker(clone: str, env: dict[str, str], conn: Connection, barrier: object) -> None:
    os.environ.clear()
    os.environ.update(env)
    from gitcoord.config import load_config
    from gitcoord.modes import Mode
    from gitcoord.paths import ClaimPath
    from gitcoord.protocol import Coordinator, Request
    from gitcoord.repo import Repo
    from gitcoord.store import ClaimStore

    repo = Repo.discover(clone)
    config = load_config(repo.toplevel)
    me = repo.identity()
    coord = Coordinator(ClaimStore(repo, config, me), config, me, contend=1.0)
    while True:
        msg = conn.recv()
        if msg is None:
            return
        kind, want = msg
        started = time.monotonic()
        try:
            if kind == "claim":
                requests = [Request(ClaimPath.parse_stored(p), Mode(want.mode)) for p in want.paths]
                barrier.wait()  # type: ignore[attr-defined]
                started = time.monotonic()
                coord.claim(requests, ttl=600, reason="race")
                conn.send(("won", "", time.monotonic() - started))
            elif kind == "renew":
                coord.renew([ClaimPath.parse_stored(p) for p in want.paths], 600)
                conn.send(("renewed", "", 0.0))
            else:
                paths = None if want is None else [ClaimPath.parse_stored(p) for p in want.paths]
                coord.release(paths)
                conn.send(("released", "", 0.0))
        except Refused as exc:
            conn.send(("refused", exc.message, time.monotonic() - started))
        except GitcoordError as exc:
            conn.send(("error", exc.render(), 0.0))
        except Exception:
            conn.send(("error", traceback.format_exc(), 0.0))


class Racers:
    """N workers, one per clone; `round()` runs one race and returns each worker's verdict."""

    def __init__(self, clones: list[tuple[Path, dict[str, str]]]) -> None:
        ctx = mp.get_context("fork")
        self.barrier = ctx.Barrier(len(clones))
        self.conns: list[Connection] = []
        self.procs = []
        self.claim_seconds: list[float] = []  # every claim attempt, won or refused
        for path, env in clones:
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_worker, args=(str(path), env, child, self.barrier))
            proc.start()
            self.conns.append(parent)
            self.procs.append(proc)

    def round(self, wants: list[Want]) -> list[tuple[str, str]]:
        for conn, want in zip(self.conns, wants, strict=True):
            conn.send(("claim", want))
        verdicts = []
        for conn in self.conns:
            verdict, detail, seconds = conn.recv()
            verdicts.append((verdict, detail))
            if verdict in ("won", "refused"):
                self.claim_seconds.append(seconds)
        return verdicts

    def ask(self, i: int, kind: str, want: Want | None) -> tuple[str, str]:
        """One operation by worker i alone: kind is claim, renew or release (want None: all)."""
        if kind == "claim":
            raise ValueError("claims go through round(): they wait at the barrier")
        self.conns[i].send((kind, want))
        verdict, detail, _ = self.conns[i].recv()
        return verdict, detail

    def release(self, which: list[int]) -> None:
        for i in which:
            self.conns[i].send(("release", None))
        for i in which:
            verdict, detail, _ = self.conns[i].recv()
            assert verdict == "released", detail

    def close(self) -> None:
        for conn in self.conns:
            conn.send(None)
        for proc in self.procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
