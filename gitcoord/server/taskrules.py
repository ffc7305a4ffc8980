"""What the server refuses under refs/tasks/ and refs/task-slots/: refs that hold no task or
no slot by the client's own rules (core/task_refs.py), and slots beyond the pool's bound.

A pool's bound holds across machines only if no push can leave more than `[pools.NAME] slots`
slot refs in it. Each slot a push creates must be numbered below the pool's slots (in the
server's policy) and ref names are canonical (core/task_refs.slot_name), so creations alone
never exceed the bound; the count covers slot refs already there beyond it (left from before
the hooks, or from before the pool shrank). Updates (a heartbeat moves its slot along) and
deletions (done, fail, release, reap) never add a slot, so they are judged only by what the
slot points to. Deleting a task ref is always allowed: every move deletes its old state's ref.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gitcoord.core.refnames import SLOTS, TASKS, task_ref
from gitcoord.core.task_parse import InvalidTask
from gitcoord.core.task_refs import SlotRead, slot_at, slot_name, task_at
from gitcoord.git.bare import ObjectInfo
from gitcoord.server.policy import Refusal
from gitcoord.server.refchange import RefChange

POLICY = "gitcoord.toml on the default branch"


def _stray(ref: str) -> str:
    return f"move tasks only with `gitcoord task`; delete a stray ref with `git push origin :{ref}`"


def check_task_refs(
    changes: Sequence[RefChange], infos: Mapping[str, ObjectInfo], raw: Mapping[str, bytes]
) -> list[Refusal]:
    """Each task ref the push writes must hold a task in its state, with its id."""
    refusals = []
    for ch in changes:
        if not ch.ref.startswith(TASKS) or ch.deletes:
            continue
        info = infos.get(ch.new)
        try:
            if info is None:
                raise InvalidTask("its object is missing")
            task_at(ch.ref, info.type, info.size, raw.get(ch.new), ch.new)
        except InvalidTask as exc:
            refusals.append(Refusal(ch.ref, f"not a valid task: {exc}", _stray(ch.ref)))
    return refusals


def read_slots(
    changes: Sequence[RefChange], infos: Mapping[str, ObjectInfo], raw: Mapping[str, bytes]
) -> dict[str, SlotRead]:
    """The slots the push writes, read by the client's rules."""
    reads = {}
    for ch in changes:
        if ch.ref.startswith(SLOTS) and not ch.deletes:
            info = infos.get(ch.new)
            if info is None:
                reads[ch.ref] = SlotRead("", -1, None, "its object is missing")
            else:
                reads[ch.ref] = slot_at(ch.ref, info.type, info.size, raw.get(ch.new), ch.new)
    return reads


def running_refs(reads: Mapping[str, SlotRead]) -> list[str]:
    """The running refs the pushed slots' tasks belong at (to look up as they will be)."""
    return sorted({task_ref("running", r.task.id) for r in reads.values() if r.task is not None})


def check_slots(
    changes: Sequence[RefChange],
    reads: Mapping[str, SlotRead],
    running_after: Mapping[str, str | None],
    current: Mapping[str, str],
    pools: Mapping[str, int],
) -> list[Refusal]:
    """Refusals for the slot refs a push writes. `running_after`: the OID each of
    running_refs(reads) will hold after the push (None: none); `current`: the slot refs on
    the server now; `pools`: [pools.NAME] slots of the server's policy."""
    refusals = []
    created: dict[str, list[str]] = {}  # pool -> the slot refs this push creates in it
    for ch in changes:
        read = reads.get(ch.ref)
        if read is None:
            continue
        refusal = _slot_refusal(ch, read, running_after, pools)
        if refusal is not None:
            refusals.append(refusal)
        elif ch.creates:
            created.setdefault(read.pool, []).append(ch.ref)
    for pool, refs in created.items():
        held = _slots_after(changes, current, pool)
        if len(held) > pools[pool]:
            refusals.append(
                Refusal(
                    refs[0],
                    f"pool {pool} would hold {len(held)} slot refs, over its "
                    f"{pools[pool]} slots ([pools.{pool}] in {POLICY})",
                    "wait for a running task of the pool to end (`gitcoord task list --state "
                    "running`), or `gitcoord task reap` expired ones",
                )
            )
    return refusals


def _slot_refusal(
    ch: RefChange,
    read: SlotRead,
    running_after: Mapping[str, str | None],
    pools: Mapping[str, int],
) -> Refusal | None:
    fix = _stray(ch.ref)
    if read.task is None:
        return Refusal(ch.ref, f"not a valid pool slot: {read.problem}", fix)
    if ch.creates:
        size = pools.get(read.pool)
        if size is None:
            return Refusal(
                ch.ref,
                f"pool {read.pool} is not declared in {POLICY}",
                f"declare it there: [pools.{read.pool}] slots = 2",
            )
        if read.number >= size:
            return Refusal(
                ch.ref,
                f"slot {read.number} is beyond pool {read.pool}'s {size} slots "
                f"(0 to {size - 1}, [pools.{read.pool}] in {POLICY})",
                f"take a free slot with `gitcoord task take --pool {read.pool}`",
            )
    running = task_ref("running", read.task.id)
    at = running_after.get(running)
    if at != ch.new:
        now = f"holds {at[:12]}" if at else "does not exist"
        return Refusal(
            ch.ref,
            f"not a valid pool slot: it points to {ch.new[:12]}, not to task "
            f"{read.task.id}'s running version ({running} {now} after this push)",
            fix,
        )
    return None


def _slots_after(changes: Sequence[RefChange], current: Mapping[str, str], pool: str) -> set[str]:
    """The slot refs of `pool` once the push is applied."""
    refs = {ref for ref in current if (name := slot_name(ref)) and name[0] == pool}
    for ch in changes:
        name = slot_name(ch.ref) if ch.ref.startswith(SLOTS) else None
        if name is not None and name[0] == pool:
            (refs.discard if ch.deletes else refs.add)(ch.ref)
    return refs
