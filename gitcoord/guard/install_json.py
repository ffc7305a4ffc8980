"""Merging gitcoord's hook entries into a harness's JSON config, and taking them out again.

Everything else in the file stays as it is, byte for byte (install_jsontext.py edits the
text in place). gitcoord's entries are the ones whose command is
`gitcoord guard --harness NAME`: installing again adds nothing (and replaces an entry of
gitcoord's that differs from the current one), uninstalling removes exactly those, plus an
event key, the `hooks` object or the file left empty that gitcoord created
(install_record.py).
"""

from __future__ import annotations

import json
from typing import Any

from gitcoord.core.errors import UsageError
from gitcoord.guard import install_jsontext as jt
from gitcoord.guard.install_record import FILE
from gitcoord.guard.install_specs import HarnessConfig, guard_command

MAX_BYTES = 1 << 20  # a config file is committed content: bounded before it is parsed
HOOKS = "hooks"


def parse(raw: bytes, cfg: HarnessConfig) -> str:
    """The config's text, once it is known to be a JSON object of the expected shape; any
    other file is refused (exit 2) and left untouched."""
    rel = cfg.path
    fix = f"fix or move {rel} aside, then: gitcoord hooks install --harness {cfg.harness}"
    if len(raw) > MAX_BYTES:
        raise UsageError(f"{rel} is over {MAX_BYTES} bytes; not a hooks config", fix=fix)
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except UnicodeDecodeError:
        raise UsageError(f"{rel} is not UTF-8 text", fix=fix) from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise UsageError(f"{rel} is not valid JSON ({exc.msg} at {where})", fix=fix) from None
    except RecursionError:
        raise UsageError(f"{rel} is nested too deeply", fix=fix) from None
    if not isinstance(data, dict):
        raise UsageError(f"{rel} is not a JSON object", fix=fix)
    hooks = data.get(HOOKS, {})
    if not isinstance(hooks, dict):
        raise UsageError(f"{rel}: {HOOKS!r} is not an object", fix=fix)
    for event in events(cfg):
        if not isinstance(hooks.get(event, []), list):
            raise UsageError(f"{rel}: {HOOKS}.{event} is not an array", fix=fix)
    return text


def new_file(cfg: HarnessConfig) -> str:
    """The text of a config gitcoord creates, before its entries go in."""
    return json.dumps(cfg.skeleton, indent=2) + "\n"


def merge(text: str, cfg: HarnessConfig) -> tuple[str, set[str]]:
    """`text` with gitcoord's entries, and the parts that created ("hooks", "hooks/EVENT")."""
    text = jt.apply(text, _strip_stale(text, cfg))  # then the offsets are the new text's
    root, unit = jt.scan(text), jt.unit_of(text)
    hooks = jt.member(root, HOOKS)
    wanted = {e: [cfg.entry(m) for ev, m in cfg.events if ev == e] for e in events(cfg)}
    if hooks is None:
        new = {HOOKS: wanted}
        created = {HOOKS, *(f"{HOOKS}/{e}" for e in wanted)}
        return jt.apply(text, jt.append(text, root, list(new.items()), unit)), created
    edits, missing = [], []
    for event, entries in wanted.items():
        items = jt.member(hooks, event)
        if items is None:
            missing.append((event, entries))
            continue
        present = [jt.value(text, i.value) for i in items.items]
        todo = [(None, e) for e in entries if e not in present]
        edits += jt.append(text, items, todo, unit)
    edits += jt.append(text, hooks, list(missing), unit)
    return jt.apply(text, edits), {f"{HOOKS}/{e}" for e, _ in missing}


def unmerge(text: str, cfg: HarnessConfig, created: set[str] | None) -> tuple[str, bool]:
    """`text` without gitcoord's entries and the parts they leave empty that gitcoord
    created (`created` None, no record: those they emptied); and whether any went."""
    root = jt.scan(text)
    hooks = jt.member(root, HOOKS)
    if hooks is None or hooks.kind != "object":
        return text, False
    edits, gone, removed = [], set(), False
    for event in events(cfg):
        items = jt.member(hooks, event)
        if items is None or items.kind != "array":
            continue
        inner, drop = _ours_in(text, items, cfg, keep_equal=[])
        removed = removed or bool(inner or drop)
        left = len(items.items) - len(drop)
        if left == 0 and _ours(f"{HOOKS}/{event}", created, emptied=bool(items.items)):
            gone |= {n for n, item in enumerate(hooks.items) if item.key == event}
        else:
            edits += inner + jt.remove(items, drop)
    if len(gone) == len(hooks.items) and _ours(HOOKS, created, emptied=removed):
        whole = {n for n, item in enumerate(root.items) if item.key == HOOKS}
        return jt.apply(text, jt.remove(root, whole)), removed
    return jt.apply(text, edits + jt.remove(hooks, gone)), removed


def left_empty(text: str, cfg: HarnessConfig, created: set[str] | None, removed: bool) -> bool:
    """Whether the file holds no more than gitcoord creates it with, and is gitcoord's."""
    return json.loads(text) in ({}, cfg.skeleton) and _ours(FILE, created, emptied=removed)


def has_ours(text: str, cfg: HarnessConfig) -> bool:
    return unmerge(text, cfg, None)[1]


def events(cfg: HarnessConfig) -> list[str]:
    return list(dict.fromkeys(e for e, _ in cfg.events))


def _strip_stale(text: str, cfg: HarnessConfig) -> list[jt.Edit]:
    """Edits removing gitcoord's entries that are not (or no longer) the wanted ones."""
    hooks = jt.member(jt.scan(text), HOOKS)
    edits: list[jt.Edit] = []
    if hooks is None:
        return edits
    for event in events(cfg):
        items = jt.member(hooks, event)
        if items is not None:
            wanted = [cfg.entry(m) for e, m in cfg.events if e == event]
            inner, drop = _ours_in(text, items, cfg, keep_equal=wanted)
            edits += inner + jt.remove(items, drop)
    return edits


def _ours_in(
    text: str, items: jt.Node, cfg: HarnessConfig, keep_equal: list[Any]
) -> tuple[list[jt.Edit], set[int]]:
    """In an event's list: the edits taking gitcoord's hooks out of groups that keep others'
    hooks, and the indices of the elements that go whole. The first element equal to each
    of `keep_equal` stays."""
    keep, inner, drop = list(keep_equal), [], set()
    for n, item in enumerate(items.items):
        val = jt.value(text, item.value)
        if val in keep:
            keep.remove(val)
        elif not cfg.grouped or not isinstance(val, dict):
            drop |= {n} if _is_ours(val, cfg) else set()
        elif isinstance(hooks := val.get(HOOKS), list) and any(_is_ours(h, cfg) for h in hooks):
            ours = {i for i, h in enumerate(hooks) if _is_ours(h, cfg)}
            group = jt.member(item.value, HOOKS)
            if len(ours) == len(hooks) or group is None:
                drop.add(n)
            else:
                inner += jt.remove(group, ours)
    return inner, drop


def _is_ours(hook: Any, cfg: HarnessConfig) -> bool:
    return isinstance(hook, dict) and hook.get(cfg.command_key) == guard_command(cfg.harness)


def _ours(part: str, created: set[str] | None, emptied: bool) -> bool:
    return part in created if created is not None else emptied
