"""Per-transport figures (claim, raw push, winners per round): recorded by tests, printed once.

Figures are reported, never asserted. Each xdist worker writes JSON files under
.pytest_cache/gitcoord-figures/; the controller prints one table at the end of the run.
"""

from __future__ import annotations

import json
import shutil
import statistics
from pathlib import Path
from typing import Any

_DIR = Path(".pytest_cache") / "gitcoord-figures"
ORDER = ("file", "git", "ssh", "http", "gitolite")


def _dir(root: Path) -> Path:
    return root / _DIR


def clear_figures(root: Path) -> None:
    shutil.rmtree(_dir(root), ignore_errors=True)


def record(root: Path, transport: str, key: str, value: Any) -> None:
    d = _dir(root)
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{transport}.{key}.json").write_text(json.dumps(value))


def median_ms(seconds: list[float]) -> float:
    return round(statistics.median(seconds) * 1000, 1)


def summary_lines(root: Path) -> list[str]:
    d = _dir(root)
    if not d.is_dir():
        return []
    data: dict[str, dict[str, Any]] = {}
    for f in d.glob("*.json"):
        transport, key = f.stem.split(".", 1)
        data.setdefault(transport, {})[key] = json.loads(f.read_text())
    if not data:
        return []
    cols = [
        ("claim_ms", "claim median (ms)"),
        ("push_ms", "raw push median (ms)"),
        ("race_claim_ms", "race claim median (ms)"),
        ("winners", "winners per round"),
        ("rounds", "race rounds"),
    ]
    lines = ["", "transport figures (reported, not asserted):"]
    lines.append("| transport | " + " | ".join(c[1] for c in cols) + " |")
    lines.append("|---" * (len(cols) + 1) + "|")
    for t in sorted(data, key=lambda t: ORDER.index(t) if t in ORDER else 99):
        row = [str(data[t].get(k, "-")) for k, _ in cols]
        lines.append(f"| {t} | " + " | ".join(row) + " |")
    return lines
