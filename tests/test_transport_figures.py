"""Per-transport figures for the closing table: `git claim` (the CLI process, uncontended) and
a raw `git push --atomic` with a lease, both against the same remote. Reported, never asserted:
the table is printed at the end of the run (tests/figures.py)."""

from __future__ import annotations

import time

import pytest

from tests.figures import median_ms, record
from tests.gitenv import Agent

SAMPLES = 8


@pytest.mark.every_transport
def test_claim_and_raw_push_times(
    alice: Agent, transport: str, pytestconfig: pytest.Config
) -> None:
    claims, pushes = [], []
    for i in range(SAMPLES):
        started = time.monotonic()
        res = alice.claim(f"src/f{i}.py")
        claims.append(time.monotonic() - started)
        assert res.rc == 0, res.err
        ref = f"refs/figures/{i}"
        started = time.monotonic()
        res = alice.run(
            "git", "push", "-q", "--porcelain", "--atomic", "--no-verify",
            f"--force-with-lease={ref}:", "origin", f"HEAD:{ref}",
        )  # fmt: skip
        pushes.append(time.monotonic() - started)
        assert res.rc == 0, res.err
    assert alice.claim("-d", "--all").rc == 0
    record(pytestconfig.rootpath, transport, "claim_ms", median_ms(claims))
    record(pytestconfig.rootpath, transport, "push_ms", median_ms(pushes))
    print(f"\nFIGURES {transport}: claim {median_ms(claims)} ms, push {median_ms(pushes)} ms")
