"""Measure gitcoord as users get it: `pip install`ed (not editable) into a venv of its own.

The development venv installs gitcoord editable, and setuptools' editable finder is
imported by every interpreter that starts there: about 11 ms of a 20 ms `python -c pass`
on this machine, paid again by each `git claim` and each hook. A user's `pip install
gitcoord` has no such finder, so the benchmark builds a wheel of this checkout, installs it
into a fresh venv in the run's temporary directory, and runs itself again from that venv
(so `sys.executable`, the console scripts on PATH and the hooks' interpreter are all
the installed ones). The dependencies (typer, tomli-w) are not downloaded again: one `.pth`
line puts the development venv's site-packages on the path, which costs no import.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

MARKER = "GITCOORD_BENCH_INSTALLED"  # set in the child: it runs from the installed copy
_PYCACHE = shutil.ignore_patterns("__pycache__")


def running_installed() -> bool:
    return os.environ.get(MARKER) == "1"


def make_venv(root: Path, checkout: Path) -> Path:
    """A venv under `root` with this checkout pip-installed into it; its python."""
    # From a copy of the sources: setuptools builds in the source tree's build/, where a
    # file from an older checkout would be packed into the wheel as well.
    source = root / "source"
    shutil.copytree(checkout / "gitcoord", source / "gitcoord", ignore=_PYCACHE)
    for name in ("pyproject.toml", "README.md", "share/man/man1/git-claim.1"):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(checkout / name, source / name)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-warn-script-location",
            str(source),
        ],
        check=True,
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "gitcoord-bench-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def rerun(python: Path, script: Path, argv: list[str]) -> int:
    """Run the benchmark again under `python`, with its venv's bin first on PATH."""
    env = dict(os.environ)
    env[MARKER] = "1"
    env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # pip compiled the installed copy's bytecode
    return subprocess.run([str(python), str(script), *argv], env=env).returncode


def package_root() -> str:
    """The directory the measured gitcoord package is imported from, as the hook shim's
    sys.path entry: the installed copy's site-packages, or (--editable) the checkout."""
    if running_installed():
        return sysconfig.get_paths()["purelib"]
    return str(Path(__file__).resolve().parent.parent)
