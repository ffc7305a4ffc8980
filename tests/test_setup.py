"""Setting up: what `make demo` and `make test` install, and that the demo leaves nothing
behind."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gitenv import BIN

ROOT = Path(__file__).resolve().parent.parent


# -- make demo / make test ------------------------------------------------------------------


def make_n(where: Path, target: str) -> list[str]:
    """What `make TARGET` would run (make -n), in a copy of the Makefile."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON", "MAKEFLAGS", "MFLAGS")}
    proc = subprocess.run(
        ["make", "-n", target], cwd=where, env=env, capture_output=True, text=True, check=True
    )
    return proc.stdout.splitlines()


def test_make_demo_installs_gitcoord_alone_and_make_test_adds_the_dev_tools(
    tmp_path: Path,
) -> None:
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    demo = f'PATH="{tmp_path}/.venv/bin:$PATH" .venv/bin/python demo/run_demo.py'
    assert make_n(tmp_path, "demo") == [
        "python3 -m venv .venv",
        ".venv/bin/pip install --quiet -e .",
        "touch .venv/.installed-demo",
        demo,
    ]
    # After `make demo`: the demo needs nothing more, the tests need the dev tools.
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").touch()
    (tmp_path / ".venv" / ".installed-demo").touch()
    assert make_n(tmp_path, "demo") == [demo]
    assert make_n(tmp_path, "test")[:3] == [
        ".venv/bin/pip install --quiet --upgrade pip",
        ".venv/bin/pip install --quiet -e '.[dev]'",
        "touch .venv/.installed .venv/.installed-demo",
    ]
    # After `make test`: neither installs again.
    (tmp_path / ".venv" / ".installed").touch()
    assert make_n(tmp_path, "demo") == [demo]
    assert not [line for line in make_n(tmp_path, "test") if "pip" in line]


# -- the demo cleans up -----------------------------------------------------------------------


def demo_env(tmp: Path) -> dict[str, str]:
    tmp.mkdir()
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "TMPDIR": str(tmp)}


def left_behind(tmp: Path) -> list[str]:
    return sorted(name for name in os.listdir(tmp) if name.startswith("gitcoord-demo-"))


def test_the_demo_removes_its_directory(tmp_path: Path) -> None:
    env = demo_env(tmp_path / "tmp")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "demo" / "run_demo.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "    winners: 1 (" in proc.stdout
    assert proc.stdout.endswith("\nDone.\n")
    assert left_behind(tmp_path / "tmp") == []


@pytest.mark.parametrize(
    ("how", "code"),
    [("Ctrl-C", 130), ("SIGTERM", 143)],
)
def test_an_interrupted_demo_removes_its_directory(tmp_path: Path, how: str, code: int) -> None:
    """Ctrl-C signals the terminal's whole process group (the demo and the git and gitcoord
    processes it runs); SIGTERM only the demo."""
    env = demo_env(tmp_path / "tmp")
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "demo" / "run_demo.py")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("# bob wants the same file"):
            break
    assert len(left_behind(tmp_path / "tmp")) == 1  # the demo is under way
    if how == "Ctrl-C":
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert left_behind(tmp_path / "tmp") == []
