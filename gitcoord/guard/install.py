"""`gitcoord hooks install|uninstall --harness NAME`: the edit-time guard's hooks in an agent
harness's project config, the AGENTS.md block that teaches the protocol, and for Claude Code
a skill and a CLAUDE.md importing AGENTS.md.

Every file is planned first and written only when all of them could be: a config that is not
a JSON object refuses the whole command (exit 2) and changes nothing. The files written are
approve-tier by default (policy/guards.py SELF_PATHS): an agent cannot switch its own guard off.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from gitcoord.core.atomicfile import write_atomic
from gitcoord.core.errors import UsageError
from gitcoord.guard import install_agents, install_claude, install_json
from gitcoord.guard.harnesses import HARNESSES
from gitcoord.guard.install_record import FILE, Record
from gitcoord.guard.install_specs import ALL, CLAUDE, CONFIGS, Change, HarnessConfig

Planned = list[tuple[str | None, Change]]  # (the harness, or None for the shared AGENTS.md)


def harness_names(names: Sequence[str]) -> list[str]:
    """The harnesses named (`all`: every one), each once, in the order given."""
    out: list[str] = []
    for name in names:
        if name != ALL and name not in HARNESSES:
            raise UsageError(
                f"unknown harness {name!r}",
                fix=f"--harness one of: {', '.join(HARNESSES)}, or {ALL}",
            )
        out += [h for h in (HARNESSES if name == ALL else (name,)) if h not in out]
    return out


def install(toplevel: Path, state_dir: Path, names: Sequence[str]) -> Planned:
    planned: Planned = []
    for harness in harness_names(names):
        cfg = CONFIGS[harness]
        planned.append((harness, _install_config(_read_bytes(toplevel / cfg.path), cfg)))
        if harness == CLAUDE:
            skill = _read(toplevel / install_claude.SKILL)
            planned.append((harness, install_claude.install_skill(skill)))
            claude_md = _read(toplevel / install_claude.CLAUDE_MD)
            planned.append((harness, install_claude.install_claude_md(claude_md)))
    planned.append((None, install_agents.install(_read(toplevel / install_agents.AGENTS_MD))))
    _apply(toplevel, Record(state_dir), planned, installing=True)
    return planned


def uninstall(toplevel: Path, state_dir: Path, names: Sequence[str]) -> Planned:
    record = Record(state_dir)
    harnesses = harness_names(names)
    planned: Planned = []
    for harness in harnesses:
        cfg = CONFIGS[harness]
        path = toplevel / cfg.path
        planned.append((harness, _uninstall_config(_read_bytes(path), cfg, record.created(path))))
        if harness == CLAUDE:
            skill = _read(toplevel / install_claude.SKILL)
            planned.append((harness, install_claude.uninstall_skill(skill)))
            claude_md = _read(toplevel / install_claude.CLAUDE_MD)
            planned.append((harness, install_claude.uninstall_claude_md(claude_md)))
    users = [h for h in HARNESSES if h not in harnesses and _installed(toplevel, CONFIGS[h])]
    agents_md = toplevel / install_agents.AGENTS_MD
    change = install_agents.uninstall(_read(agents_md), record.created(agents_md), users)
    planned.append((None, change))
    _apply(toplevel, record, planned, installing=False)
    return planned


def _install_config(raw: bytes | None, cfg: HarnessConfig) -> Change:
    if raw is None:
        text, created = install_json.merge(install_json.new_file(cfg), cfg)
        return Change(cfg.path, "created", text, parts=frozenset(created | {FILE}))
    old = install_json.parse(raw, cfg)
    text, created = install_json.merge(old, cfg)
    if text == old:
        return Change(cfg.path, "unchanged")
    return Change(cfg.path, "updated", text, parts=frozenset(created))


def _uninstall_config(raw: bytes | None, cfg: HarnessConfig, created: set[str] | None) -> Change:
    if raw is None:
        return Change(cfg.path, "not installed")
    old = install_json.parse(raw, cfg)
    text, removed = install_json.unmerge(old, cfg, created)
    if text == old:
        return Change(cfg.path, "not installed")
    if install_json.left_empty(text, cfg, created, removed):
        return Change(cfg.path, "removed", delete=True)
    return Change(cfg.path, "entries removed", text)


def _installed(toplevel: Path, cfg: HarnessConfig) -> bool:
    """Whether `cfg`'s file has gitcoord's entries (a damaged one counts as not)."""
    raw = _read_bytes(toplevel / cfg.path)
    try:
        return raw is not None and install_json.has_ours(install_json.parse(raw, cfg), cfg)
    except UsageError:
        return False


def _apply(toplevel: Path, record: Record, planned: Planned, installing: bool) -> None:
    touched = False
    for _, change in planned:
        path = toplevel / change.path
        if change.text is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            mode = path.stat().st_mode & 0o777 if path.exists() else None
            write_atomic(path, change.text.encode("utf-8"), mode)
        elif change.delete:
            path.unlink()
            _prune(path.parent, toplevel)
        else:
            continue
        touched = True
        if installing:
            record.add(path, set(change.parts), fresh=change.action == "created")
        else:
            record.drop(path)
    if touched:
        record.save()


def _prune(directory: Path, toplevel: Path) -> None:
    """Remove the directories a removed file leaves empty, up to the top level."""
    while directory != toplevel and toplevel in directory.parents:
        try:
            directory.rmdir()
        except OSError:  # not empty (or not ours to remove)
            return
        directory = directory.parent


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except (IsADirectoryError, NotADirectoryError, PermissionError) as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


def _read(path: Path) -> str | None:
    raw = _read_bytes(path)
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text", fix=f"fix or move {path} aside") from None
