"""`gitcoord gc`: sweep the remote of what gitcoord left there that is dead.

What is dead is decided in protocol/sweeping.py (claims and refs under refs/claims/) and
by `gitcoord task reap`'s own code (pool slots no running task holds): this command
fetches once for both, calls them and prints what went."""

from __future__ import annotations

from typing import Annotated

import typer

from gitcoord.cli.context import Context, emit_json
from gitcoord.cli.task_run import task_queue
from gitcoord.core import timeutil
from gitcoord.core.textsafe import printable
from gitcoord.protocol.sweeping import Swept, sweep
from gitcoord.store.listing import InvalidRef


def gc_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be removed; change nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Remove dead refs from the remote: expired claims, unreadable claim refs, dead
    waiters, and pool slots that hold no running task. Anyone may run it, any time (CI
    runs it on a schedule).

    Dead means nothing a live holder or a newer gitcoord may need. A claim expired as a
    claimer judges it before taking it over: its lease plus [claims] clock_skew has
    passed, and this clone has itself seen that very claim for as long (a fresh clone
    removes nothing until it has watched a full lease; claims of this session are never
    swept: release them with `git claim -d`). A ref under refs/claims/w/ or
    refs/claims/s/ whose object is not a readable claim (forged, damaged, copied to the
    wrong ref), or a ref that shadows them. A waiter of `git claim --wait` whose lease
    plus clock_skew has passed (its process was killed), or that is unreadable. A pool
    slot holding no running task (as `gitcoord task reap` clears them). Never removed: a
    claim of a newer format, other refs under refs/claims/, audit logs, approvals,
    tasks. Each delete is leased on the object judged dead, so a claim renewed meanwhile
    stays; removed claims are recorded as `expire` entries in the audit trail
    (`gitcoord log`).

    \b
    Examples:
      gitcoord gc --dry-run
      gitcoord gc --json
    """
    ctx = Context.here()
    queue = task_queue(ctx)
    coordinator = ctx.coordinator(progress=False)
    fetched = ctx.store.fetch_listing(also=queue.store.refspecs())
    swept = sweep(coordinator, dry_run=dry_run, fetched=fetched)
    # The slots: `task reap`'s own rule and deletes (tasks/running.py), on the same fetch.
    skew = ctx.config.claims.clock_skew
    cleared = queue.clear_dead_slots(queue.store.read(), timeutil.now(), skew, dry_run)
    if as_json:
        emit_json(
            {
                "dry_run": dry_run,
                "expired": [c.public_json() for c in swept.expired],
                "invalid": [_ref_json(i) for i in swept.invalid],
                "kept": [_ref_json(i) for i in swept.kept],
                "waiters": [w.public_json() for w in swept.waiters],
                "cleared_slots": cleared,
                "pushes": swept.pushes,
                "live": swept.live,
            }
        )
        return
    for line in _lines(swept, cleared, dry_run):
        print(printable(line))


def _ref_json(i: InvalidRef) -> dict[str, object]:
    return {"ref": i.ref, "oid": i.oid, "problem": i.problem, "newer_format": i.newer_format}


def _lines(swept: Swept, cleared: list[str], dry_run: bool) -> list[str]:
    verb = "would remove" if dry_run else "removed"
    lines = [
        f"{verb} expired claim on {c.path} ({c.mode.value}) by {c.agent}: "
        f"lease ended {timeutil.to_iso(c.lease_end)}"
        for c in swept.expired
    ]
    lines += [f"{verb} {i.ref}: {i.problem}" for i in swept.invalid]
    lines += [
        f"{verb} dead waiter of {w.agent} ({w.mode.value} "
        f"{', '.join(str(p) for p in w.paths)}): lease ended {timeutil.to_iso(w.lease_end)}"
        for w in swept.waiters
    ]
    lines += [f"kept {i.ref}: {i.problem} ({_why_kept(i)})" for i in swept.kept]
    lines += [f"{'would clear' if dry_run else 'cleared'} {r} (no running task)" for r in cleared]
    live = f"{swept.live} live claim(s) left"
    if not (swept.expired or swept.invalid or swept.waiters or cleared):
        return [*lines, f"nothing to remove: {live}"]
    counts = f"{len(swept.expired)} expired claim(s), {len(swept.invalid)} unreadable ref(s)"
    counts += f", {len(swept.waiters)} dead waiter(s)" if swept.waiters else ""
    pushed = "" if dry_run else f" in {swept.pushes} push(es)"
    slots = f", {len(cleared)} slot(s)" if cleared else ""
    return [*lines, f"gc: {verb} {counts}{slots}{pushed}; {live}"]


def _why_kept(i: InvalidRef) -> str:
    if i.newer_format:
        return "a newer gitcoord's: upgrade to read it"
    return "outside gitcoord's layout (refs/claims/w/, refs/claims/s/): may be a newer gitcoord's"
