"""A clock running ahead for one agent's processes: a `sitecustomize` on the agent's
PYTHONPATH offsets the interpreter's time.time() (never gitcoord's own code), the way a
machine whose clock is wrong would."""

from __future__ import annotations

import os
from pathlib import Path

from tests.gitenv import Agent

_FAST_CLOCK = """\
import os
import time

_ahead = float(os.environ.get("FAULT_CLOCK_AHEAD", "0"))
if _ahead:
    _real = time.time
    time.time = lambda: _real() + _ahead
"""


def run_ahead(agent: Agent, site: Path, seconds: float) -> None:
    """From now on the agent's Python processes see a clock `seconds` ahead; `site` is an
    empty directory that will hold the sitecustomize."""
    site.mkdir(parents=True, exist_ok=True)
    (site / "sitecustomize.py").write_text(_FAST_CLOCK)
    paths = [str(site), *filter(None, [agent.env.get("PYTHONPATH")])]
    agent.extra.update(PYTHONPATH=os.pathsep.join(paths), FAULT_CLOCK_AHEAD=str(seconds))
