"""`gitcoord init`: gitcoord.toml, a starter RULES.md, the hooks and optionally a CI job;
safe to run again."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NamedTuple

import typer

from gitcoord.cli.context import Context, emit_json
from gitcoord.cli.initfiles import ci_template, render_config, rules_template, without_install
from gitcoord.cli.install_source import install_source
from gitcoord.core.config import CONFIG_FILE, load_config
from gitcoord.core.errors import Refused
from gitcoord.git.support import require_sha1
from gitcoord.hooks.install import install
from gitcoord.store.policy_source import load_policy


class CiHost(StrEnum):
    github = "github"
    gitlab = "gitlab"


class FileAction(NamedTuple):
    path: str
    action: str  # written | kept | unchanged | overwritten
    detail: str = ""  # what the text output adds after the action

    def line(self) -> str:
        return f"{self.path}: {self.action}{self.detail}"


class CiJob(NamedTuple):
    """What `init --ci` does: the action, the file's new text (None: left as it is), the
    requirement it installs and the warning about it, and the step left to the user."""

    file: FileAction
    text: str | None
    install: str | None
    warning: str | None
    next_step: str | None


def plan_ci(toplevel: Path, host: str, force: bool) -> CiJob:
    """Decide what to do with the CI job before anything is written, so a refusal leaves
    the repository as it was. An identical file is left alone, a modified one only with
    --force; one whose only change is its GITCOORD_INSTALL line (as the user was told to
    edit it) is kept."""
    source = install_source()
    rel, text = ci_template(host, source)
    path = toplevel / rel
    include = f"include it from .gitlab-ci.yml:  include: [{{local: {rel}}}]"
    next_step = include if host == "gitlab" else None
    job = CiJob(FileAction(rel, "written"), text, source.requirement, source.warning, next_step)
    if not path.exists():
        return job
    current = path.read_text(encoding="utf-8")
    if current == text:
        return job._replace(file=FileAction(rel, "unchanged"), text=None, next_step=None)
    if force:
        return job._replace(file=FileAction(rel, "overwritten"))
    if without_install(current) == without_install(text):
        kept = FileAction(rel, "kept", " (its GITCOORD_INSTALL line is yours; --force resets it)")
        return CiJob(kept, None, None, None, None)
    raise Refused(
        f"{rel} differs from gitcoord's {host} template; not overwriting your changes",
        fix=f"gitcoord init --ci {host} --force   (after saving what you changed)",
    )


def write_starters(toplevel: Path) -> list[FileAction]:
    """gitcoord.toml and the rules file, each unless it exists."""
    done = []
    config_path = toplevel / CONFIG_FILE
    if config_path.exists():
        done.append(FileAction(CONFIG_FILE, "kept", " (already exists)"))
    else:
        config_path.write_text(render_config(), encoding="utf-8")
        done.append(FileAction(CONFIG_FILE, "written", " with commented defaults"))
    config = load_config(toplevel)  # a broken existing config stops here, naming the line
    rules_path = toplevel / config.rules_file
    if rules_path.exists():
        done.append(FileAction(config.rules_file, "kept", " (already exists)"))
    else:
        rules_path.parent.mkdir(parents=True, exist_ok=True)
        rules_path.write_text(rules_template(), encoding="utf-8")
        starter = " from the starter template; add your team's rules"
        done.append(FileAction(config.rules_file, "written", starter))
    return done


def init_command(
    ci: Annotated[
        CiHost | None, typer.Option("--ci", help="Also write a CI job running `gitcoord ci`.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite a modified CI job file.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Write gitcoord.toml (commented defaults) and RULES.md if missing, and install the hooks;
    with --ci github|gitlab, also the CI job (.github/workflows/gitcoord.yml or
    .gitlab-ci.gitcoord.yml), installing gitcoord from where this one was installed.

    Existing files are kept, so running it twice changes nothing. Commit the files
    afterwards and push them: every check reads the policy as committed (the base branch's
    once it has one), never the working tree. Adopting needs no approval; once a policy is
    in force, changing these files needs a human's approval (`gitcoord approve`).

    \b
    Examples:
      gitcoord init && git add gitcoord.toml RULES.md && git commit -m "Adopt gitcoord"
      gitcoord init --ci github --json
    """
    repo = Context.here().repo
    require_sha1(repo.git_config)  # before anything is written: its hooks would refuse all
    toplevel = repo.toplevel
    job = plan_ci(toplevel, ci.value, force) if ci is not None else None
    files = write_starters(toplevel)
    hooks = install(toplevel)
    if job is not None:
        if job.text is not None:
            path = toplevel / job.file.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(job.text, encoding="utf-8")
        files.append(job.file)
    next_steps = _next_steps(job, files, toplevel)
    warnings = _warn_about(job)
    if as_json:
        emit_json(
            {
                "files": [{"path": f.path, "action": f.action} for f in files],
                "hooks": [{"hook": a.hook, "action": a.what} for a in hooks],
                "ci_install": job.install if job else None,
                "next_steps": next_steps,
                "warnings": warnings,
            }
        )
        return
    for done in files[:2]:
        print(done.line())
    for action in hooks:
        print(f"hook {action}")
    if job is not None:
        step = f"; {job.next_step}" if job.next_step else ""
        print(job.file.line() + step)
    if adopting(files):
        print(f"next: {next_steps[-1]}")


def _warn_about(job: CiJob | None) -> list[str]:
    if job is None or not job.warning:
        return []
    print(f"gitcoord: warning: {job.file.path}: {job.warning}", file=sys.stderr)
    print(f"  fix: edit the line marked EDIT in {job.file.path}", file=sys.stderr)
    return [f"{job.file.path}: {job.warning}"]


def adopting(files: list[FileAction]) -> list[str]:
    """The files init wrote, which count only once committed."""
    return [f.path for f in files if f.action in ("written", "overwritten")]


def _next_steps(job: CiJob | None, files: list[FileAction], toplevel: Path) -> list[str]:
    steps = [job.next_step] if job and job.next_step else []
    written = " ".join(adopting(files))
    if not written:
        return steps
    # The checks read what is committed: nothing counts until it lands. Adopting (no policy
    # in force yet) needs no approval; changing a policy in force does.
    if load_policy(toplevel).source:
        steps.append(
            f"git add {written}; then a human other than the committer runs `gitcoord "
            "approve`; then: git commit -m 'Update gitcoord' && git push"
        )
    else:
        steps.append(f"git add {written} && git commit -m 'Adopt gitcoord' && git push")
    return steps
