"""Setting up: what `make demo` and `make test` install, that the demo leaves nothing behind,
and what `gitcoord init` writes, as the CI job's install line and as --json.

The install-source tests install gitcoord with pip for real (from a git URL served over
git://, from a git repository on disk, from a wheel in a local index) into a fresh venv whose
dependencies (typer, tomli-w) come from the project's venv, and run that gitcoord's `init`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import venv
from collections.abc import Callable
from pathlib import Path

import pytest

from gitcoord import __version__
from tests.gitenv import BIN, Agent

ROOT = Path(__file__).resolve().parent.parent
GITHUB_JOB = ".github/workflows/gitcoord.yml"
PLACEHOLDER = '      GITCOORD_INSTALL: "<set by gitcoord init>"\n'
EXAMPLE = '"gitcoord @ git+https://github.com/OWNER/gitcoord.git@COMMIT"'


# -- make demo / make test ------------------------------------------------------------------


def make_n(where: Path, target: str) -> list[str]:
    """What `make TARGET` would run (make -n), in a copy of the Makefile."""
    # Run from `make test`, make's own variables say "nested": it would print the directory.
    outer = ("PYTHON", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")
    env = {k: v for k, v in os.environ.items() if k not in outer}
    proc = subprocess.run(
        ["make", "--no-print-directory", "-n", target],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        check=True,
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
        ".venv/bin/python tools/gen_manpage.py --install",
        "touch .venv/.installed-demo",
        demo,
    ]
    # After `make demo`: the demo needs nothing more, the tests need the dev tools.
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").touch()
    (tmp_path / ".venv" / ".installed-demo").touch()
    assert make_n(tmp_path, "demo") == [demo]
    assert make_n(tmp_path, "test")[:4] == [
        ".venv/bin/pip install --quiet --upgrade pip",
        ".venv/bin/pip install --quiet -e '.[dev]'",
        ".venv/bin/python tools/gen_manpage.py --install",
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


# -- gitcoord init: the CI job's install line ------------------------------------------------


@pytest.fixture(scope="session")
def source_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This checkout's gitcoord (working tree, not HEAD) committed to a git repository of its
    own: what a user installs from a git URL. Returns the repository and the commit."""
    repo = tmp_path_factory.mktemp("gitcoord") / "source"
    # Everything the build may read (pyproject.toml names more than the package: data files).
    skip = shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", "*.pyc", ".*_cache", "tests"
    )
    shutil.copytree(ROOT, repo, ignore=skip, symlinks=True)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "gitcoord"]):
        subprocess.run(git + args, check=True, capture_output=True)
    commit = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True)
    return repo, commit.stdout.strip()


def pip(*args: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr


@pytest.fixture
def fresh_venv(tmp_path: Path) -> Callable[..., Path]:
    """install(*pip_args): a new venv with gitcoord pip-installed as the arguments say, its
    dependencies reached through a .pth file naming the project venv's site-packages (after
    the venv's own, so the gitcoord found is the one just installed). Returns its python."""

    def install(*pip_args: str) -> Path:
        where = tmp_path / "venv"
        venv.EnvBuilder(with_pip=False).create(where)
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        site = where / "lib" / version / "site-packages"  # a POSIX venv's layout
        pip("install", "--no-deps", "--target", str(site), *pip_args)
        (site / "zz_project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"])
        return where / "bin" / "python"

    return install


def init_job(agent: Agent, python: Path) -> tuple[str, str, str]:
    """Run that venv's `gitcoord init --ci github`: (the job file, stdout, stderr)."""
    res = agent.run(str(python), "-m", "gitcoord", "init", "--ci", "github")
    assert res.rc == 0, res.err
    return (agent.path / GITHUB_JOB).read_text(), res.out, res.err


def template() -> str:
    return (ROOT / "gitcoord" / "templates" / "ci" / "github.yml").read_text()


@pytest.mark.transports("git")
def test_init_ci_installs_the_commit_it_was_installed_from(
    alice: Agent,
    served_repo: Path,
    remote_url: str,
    source_repo: tuple[Path, str],
    fresh_venv: Callable[..., Path],
) -> None:
    repo, commit = source_repo
    subprocess.run(
        ["git", f"--git-dir={served_repo}", "fetch", "-q", str(repo), "HEAD:refs/heads/src"],
        check=True,
    )
    python = fresh_venv(f"gitcoord @ git+{remote_url}@{commit}")
    job, out, err = init_job(alice, python)
    line = f'      GITCOORD_INSTALL: "gitcoord @ git+{remote_url}@{commit}"\n'
    assert job == template().replace(PLACEHOLDER, line)
    assert out.splitlines()[-2] == f"{GITHUB_JOB}: written"
    assert err == ""


@pytest.mark.transports("file")
def test_init_ci_from_a_repository_on_this_disk_marks_the_url_to_edit(
    alice: Agent, source_repo: tuple[Path, str], fresh_venv: Callable[..., Path]
) -> None:
    repo, commit = source_repo
    python = fresh_venv(f"gitcoord @ git+file://{repo}@{commit}")
    job, out, err = init_job(alice, python)
    why = (
        f"gitcoord was installed from the repository {repo} on this machine, which CI cannot "
        "clone: replace its URL with one CI can reach (the commit stays)"
    )
    fix = f"  fix: edit the line marked EDIT in {GITHUB_JOB}"
    assert err == f"gitcoord: warning: {GITHUB_JOB}: {why}\n{fix}\n"
    block = job.split("# What pip installs:", 1)[1].split("    steps:")[0]
    assert " ".join(block.replace("#", " ").split()) == " ".join(
        f"where the gitcoord that ran `gitcoord init --ci` came from. EDIT the next line: {why}. "
        f'GITCOORD_INSTALL: "gitcoord @ git+file://{repo}@{commit}"'.split()
    )
    assert out.splitlines()[-2] == f"{GITHUB_JOB}: written"


@pytest.mark.transports("file")
def test_init_ci_from_an_index_pins_the_version(
    alice: Agent,
    source_repo: tuple[Path, str],
    fresh_venv: Callable[..., Path],
    tmp_path: Path,
) -> None:
    repo, _ = source_repo
    wheels = tmp_path / "index"
    pip("wheel", "--no-deps", "-w", str(wheels), str(repo))
    python = fresh_venv("--isolated", "--no-index", "--find-links", str(wheels), "gitcoord")
    job, _, err = init_job(alice, python)
    line = f'      GITCOORD_INSTALL: "gitcoord=={__version__}"\n'
    assert job == template().replace(PLACEHOLDER, line)
    assert err == ""


def editable_checkout() -> str:
    """The directory the project venv's gitcoord is an editable install of."""
    from importlib.metadata import distributions

    # In the venv's site-packages: a checkout's gitcoord.egg-info on sys.path is no install.
    (dist,) = distributions(name="gitcoord", path=[sysconfig.get_paths()["purelib"]])
    data = json.loads(dist.read_text("direct_url.json") or "{}")
    assert data["dir_info"] == {"editable": True}, data
    return str(data["url"]).removeprefix("file://")


@pytest.mark.transports("file")
def test_init_ci_from_an_editable_install_writes_a_line_pip_refuses(alice: Agent) -> None:
    res = alice.gitcoord("init", "--ci", "gitlab", "--json")
    assert res.rc == 0, res.err
    why = (
        f"gitcoord was installed from the local directory {editable_checkout()} (editable), "
        f"which CI cannot install from; write what CI should install, e.g. {EXAMPLE}"
    )
    rel = ".gitlab-ci.gitcoord.yml"
    assert res.json() == {
        "files": [
            {"path": "gitcoord.toml", "action": "written"},
            {"path": "RULES.md", "action": "written"},
            {"path": rel, "action": "written"},
        ],
        "hooks": [
            {"hook": "pre-commit", "action": "installed"},
            {"hook": "pre-push", "action": "installed"},
            {"hook": "commit-msg", "action": "installed"},
        ],
        "ci_install": None,
        "next_steps": [
            f"include it from .gitlab-ci.yml:  include: [{{local: {rel}}}]",
            f"git add gitcoord.toml RULES.md {rel} && git commit -m 'Adopt gitcoord' && git push",
        ],
        "warnings": [f"{rel}: {why}"],
    }
    assert (
        res.err == f"gitcoord: warning: {rel}: {why}\n  fix: edit the line marked EDIT in {rel}\n"
    )
    job = (alice.path / rel).read_text()
    assert '    GITCOORD_INSTALL: "EDIT ME: where CI installs gitcoord from"\n' in job
    assert f" {EXAMPLE}.\n" in job  # the example is never wrapped
    # pip refuses the unedited line instead of installing whatever an index calls gitcoord.
    refused = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "EDIT ME: where CI installs"],
        capture_output=True,
        text=True,
    )
    assert refused.returncode != 0 and "Invalid requirement" in refused.stderr

    # The user edits the install line as told: init keeps it, and says so.
    mine = job.replace("EDIT ME: where CI installs gitcoord from", "gitcoord==9.9")
    (alice.path / rel).write_text(mine)
    again = alice.gitcoord("init", "--ci", "gitlab", "--json")
    assert again.rc == 0 and again.err == ""
    assert again.json()["files"][2] == {"path": rel, "action": "kept"}
    assert again.json()["warnings"] == [] and again.json()["ci_install"] is None
    assert (alice.path / rel).read_text() == mine


@pytest.mark.transports("file")
def test_init_json_without_ci(alice: Agent) -> None:
    (alice.path / "RULES.md").write_text("# ours\n")
    res = alice.gitcoord("init", "--json")
    assert res.rc == 0 and res.err == ""
    assert res.json() == {
        "files": [
            {"path": "gitcoord.toml", "action": "written"},
            {"path": "RULES.md", "action": "kept"},
        ],
        "hooks": [
            {"hook": "pre-commit", "action": "installed"},
            {"hook": "pre-push", "action": "installed"},
            {"hook": "commit-msg", "action": "installed"},
        ],
        "ci_install": None,
        "next_steps": ["git add gitcoord.toml && git commit -m 'Adopt gitcoord' && git push"],
        "warnings": [],
    }


@pytest.mark.transports("file")
def test_init_refuses_a_modified_ci_job_before_writing_anything(alice: Agent) -> None:
    job = alice.path / GITHUB_JOB
    job.parent.mkdir(parents=True)
    job.write_text("name: ours\n")
    res = alice.gitcoord("init", "--ci", "github", "--json")
    assert res.rc == 1
    assert json.loads(res.out)["error"]["fix"] == (
        "gitcoord init --ci github --force   (after saving what you changed)"
    )
    assert not (alice.path / "gitcoord.toml").exists() and job.read_text() == "name: ours\n"
