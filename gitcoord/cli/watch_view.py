"""`gitcoord watch`'s frame: claims, tasks by state, pools, expiring leases and the latest
audit events, as sections of rows (every cell already printable: remote data is escaped),
rendered as plain text or as rich tables from the same rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from gitcoord.cli.claim_listing import one_line, row, when
from gitcoord.core import timeutil
from gitcoord.core.claim import Claim, Holder
from gitcoord.core.durations import format_duration
from gitcoord.core.task import Task
from gitcoord.core.task_moves import take_order
from gitcoord.core.textsafe import printable
from gitcoord.store.listing import Listing
from gitcoord.store.taskstore import Board, Slot

if TYPE_CHECKING:
    from rich.console import RenderableType

MAX_ROWS = 12  # rows a section shows; the rest are counted ("+N more")
SOON = 600  # a lease ending within ten minutes (or ended) is "expiring"
STATES = ("running", "pending", "failed", "done")
TITLE = 40  # characters of a task's title shown


class Section(NamedTuple):
    title: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]
    more: int = 0  # rows left out


class Frame(NamedTuple):
    heading: str
    sections: list[Section]


T = TypeVar("T")


def _section(
    title: str,
    header: tuple[str, ...],
    items: Sequence[T],
    cells: Callable[[T], tuple[str, ...]],
) -> Section:
    """The first MAX_ROWS `items` as rows (only those are formatted: a frame of 5,000
    claims shows 12), the rest counted."""
    rows = [cells(item) for item in items[:MAX_ROWS]]
    return Section(title, header, rows, max(0, len(items) - MAX_ROWS))


def _cells(cells: tuple[str, ...]) -> tuple[str, ...]:
    return cells


def _ago(seconds: float) -> str:
    return f"{format_duration(seconds)} ago" if seconds >= 0.5 else "now"


def _until(end: float, at: float) -> str:
    left = end - at
    return f"in {format_duration(left)}" if left > 0 else f"ended {_ago(-left)}"


def build(
    remote: str,
    at: float,
    listing: Listing,
    board: Board,
    pools: Mapping[str, int],
    events: Sequence[str],
    me: Holder | None,
    skew: float,
) -> Frame:
    """The frame for what was read at `at`; `events`: the audit trail's last lines."""
    live = listing.live(at, skew)

    def claim(c: Claim) -> tuple[str, ...]:
        r = row(c, me, when(listing, c, me, at, skew))
        return (r.mark, r.path, r.mode, r.agent, r.when)

    sections = [
        _section(
            f"claims ({len(live)} live)",
            ("", "path", "mode", "holder", "lease"),
            sorted(live, key=_path),
            claim,
        ),
        *_task_sections(board.tasks, at),
        _pools(board.slots, pools),
        _expiring(live, board.tasks, at),
        _section("latest events", ("event",), [(line,) for line in events], _cells),
    ]
    return Frame(f"gitcoord watch: {printable(remote)} at {timeutil.to_iso(at)}", sections)


def _path(c: Claim) -> str:
    return str(c.path)


def _by_state(tasks: Iterable[Task]) -> dict[str, list[Task]]:
    out: dict[str, list[Task]] = {state: [] for state in STATES}
    for t in tasks:
        out.setdefault(t.state, []).append(t)
    return out


def _task_sections(tasks: Sequence[Task], at: float) -> list[Section]:
    states = _by_state(tasks)
    done = {t.id for t in states["done"]}
    counts = ", ".join(f"{len(states[s])} {s}" for s in STATES)
    running = sorted(states["running"], key=lambda t: t.expires_at or 0.0)
    return [
        _section(
            f"tasks running ({counts})",
            ("id", "title", "owner", "pool", "heartbeat", "lease"),
            running,
            lambda t: _running(t, at),
        ),
        _section(
            "tasks pending",
            ("id", "title", "priority", "pool", "attempts", "waits for"),
            sorted(states["pending"], key=take_order),
            lambda t: _pending(t, done),
        ),
        _section(
            "tasks failed",
            ("id", "title", "attempts", "reason"),
            sorted(states["failed"], key=_newest),
            _failed,
        ),
        _section(
            "tasks done",
            ("id", "title", "by", "finished"),
            sorted(states["done"], key=_newest),
            lambda t: _done(t, at),
        ),
    ]


def _newest(t: Task) -> float:
    return -(t.finished_at or 0.0)


def _running(t: Task, at: float) -> tuple[str, ...]:
    beat = _ago(at - (t.heartbeat_at or t.taken_at or at))  # the take counts as the first
    ends = _until(t.expires_at or 0.0, at)
    return (printable(t.id), one_line(t.title, TITLE), _owner(t), _pool(t), beat, ends)


def _pending(t: Task, done: set[str]) -> tuple[str, ...]:
    waits = one_line(", ".join(a for a in t.after if a not in done) or "-", TITLE)
    title = one_line(t.title, TITLE)
    return (printable(t.id), title, str(t.priority), _pool(t), str(t.attempts), waits)


def _failed(t: Task) -> tuple[str, ...]:
    return (printable(t.id), one_line(t.title, TITLE), str(t.attempts), one_line(t.reason))


def _done(t: Task, at: float) -> tuple[str, ...]:
    finished = _ago(at - (t.finished_at or at))
    return (printable(t.id), one_line(t.title, TITLE), _owner(t), finished)


def _pool(t: Task) -> str:
    return printable(t.pool or "-")


def _owner(t: Task) -> str:
    o = t.owner
    return printable(f"{o.agent}@{o.host}" if o and o.host else o.agent if o else "-")


def _pools(slots: Sequence[Slot], pools: Mapping[str, int]) -> Section:
    """Each pool's slot refs: a slot is used until its task leaves running (or a reap
    clears it), so this is what bounds the next take."""
    running: dict[str, list[str]] = {name: [] for name in pools}
    for s in slots:
        if s.pool in running:
            running[s.pool].append(s.task.id if s.task else f"slot {s.number}: {s.problem}")
    return _section(
        "pools",
        ("pool", "slots used", "running"),
        [
            (printable(name), f"{len(ids)}/{size}", one_line(", ".join(sorted(ids)), 60) or "-")
            for name, size in sorted(pools.items())
            for ids in [running[name]]
        ],
        _cells,
    )


def _expiring(claims: Iterable[Claim], tasks: Sequence[Task], at: float) -> Section:
    """Leases ending within SOON (or ended: a task not reaped yet), soonest first."""
    leases: list[tuple[float, str, str, str]] = []
    for c in claims:
        if c.lease_end - at < SOON:
            leases.append((c.lease_end, "claim", printable(_path(c)), printable(c.agent)))
    for t in tasks:
        if t.state == "running" and t.expires_at is not None and t.expires_at - at < SOON:
            leases.append((t.expires_at, "task", printable(t.id), _owner(t)))
    leases.sort()
    return _section(
        "expiring leases",
        ("lease", "of", "holder", "ends"),
        leases,
        lambda lease: (lease[1], lease[2], lease[3], _until(lease[0], at)),
    )


def plain(frame: Frame, problem: str = "") -> str:
    """The frame as plain text: aligned columns, no colours, no box characters; `problem`
    (printable) last."""
    lines = [frame.heading]
    for s in frame.sections:
        lines += ["", f"{s.title}:"]
        if not s.rows:
            lines.append("  none")
            continue
        widths = [max(map(len, column)) for column in zip(s.header, *s.rows, strict=True)]
        for cells in (s.header, *s.rows):
            padded = (c.ljust(w) for c, w in zip(cells, widths, strict=True))
            lines.append(("  " + "  ".join(padded)).rstrip())
        if s.more:
            lines.append(f"  +{s.more} more")
    if problem:
        lines += ["", problem]
    return "\n".join(lines) + "\n"


def rich(frame: Frame, problem: str = "") -> RenderableType:
    """The frame as rich tables. Cells are Text, never markup: a path holding "[bold]" is
    shown as written. (rich is imported here: every other command starts without it.)"""
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    parts: list[RenderableType] = [Text(frame.heading, style="bold")]
    for s in frame.sections:
        table = Table(
            *s.header,
            title=Text(s.title, style="bold"),
            title_justify="left",
            box=box.SIMPLE_HEAD,
            show_edge=False,
        )
        for cells in s.rows:
            table.add_row(*map(Text, cells))
        if not s.rows:
            table.add_row(Text("none", style="dim"))
        if s.more:
            table.add_row(Text(f"+{s.more} more", style="dim"))
        parts.append(table)
    if problem:
        parts.append(Text(problem, style="bold red"))
    return Group(*parts)
