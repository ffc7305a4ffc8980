"""The machine a benchmark ran on, as (label, value) lines for docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path


def _proc_field(path: str, name: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == name:
                return value.strip()
    except OSError:
        pass
    return "unknown"


def describe() -> list[tuple[str, str]]:
    mem_kb = _proc_field("/proc/meminfo", "MemTotal").split()[0]
    memory = f"{int(mem_kb) / 1024 / 1024:.1f} GiB" if mem_kb.isdigit() else "unknown"
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    ssh = subprocess.run(["ssh", "-V"], capture_output=True, text=True).stderr.strip()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        ("nproc", str(os.cpu_count())),
        ("CPU", _proc_field("/proc/cpuinfo", "model name")),
        ("memory", memory),
        ("OS", platform.platform()),
        ("git", git),
        ("python", sys.version.split()[0]),
        ("ssh", ssh or "not installed"),
        ("load average at start (1, 5, 15 min)", load),
    ]
