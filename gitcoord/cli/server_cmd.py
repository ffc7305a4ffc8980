"""`gitcoord server install|uninstall BARE_REPO`: server-side enforcement for a hosted remote."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from gitcoord.cli.context import emit_json
from gitcoord.cli.helpformat import PlainCommand, plain_group
from gitcoord.core.errors import UsageError
from gitcoord.server.install import Outcome, install, uninstall
from gitcoord.server.settings import parse_user_map

server_app = plain_group(
    """Server hooks for a bare repository you host (docs/server.md).

\b
Example:
  gitcoord server install /srv/git/team.git
""",
    "Install or remove the hooks of a bare repository you host.",
)

Json = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _print(outcome: Outcome, as_json: bool) -> None:
    if as_json:
        emit_json(outcome.to_json())
        return
    for a in outcome.actions:
        print(f"{a.action:<9} {a.path}")
    s = outcome.settings
    if s["installed"]:
        print(f"admins: {', '.join(s['admins']) or '(none)'}")
        users = "; ".join(f"{u} -> {' '.join(a)}" for u, a in s["user_map"].items())
        print(f"user map: {users or '(identity: GL_USER is the agent name)'}")
        protected = ", ".join(s["protected"]) or "(none recorded)"
        print(
            f"protected: {protected} (the server's list; the hooks also enforce [sync] "
            "protected of gitcoord.toml on the default branch)"
        )


@server_app.command("install", cls=PlainCommand)
def install_command(
    repository: Annotated[str, typer.Argument(help="The bare repository people push to.")],
    admin: Annotated[
        list[str] | None,
        typer.Option(
            "--admin",
            help="A gitolite user who may break others' claims (repeat).",
            metavar="USER",
        ),
    ] = None,
    user_map: Annotated[
        Path | None,
        typer.Option(
            "--user-map",
            help="File of `GL_USER AGENT [AGENT...]` lines (agent globs allowed).",
            metavar="FILE",
        ),
    ] = None,
    protect: Annotated[
        list[str] | None,
        typer.Option(
            "--protect",
            help="Add a protected branch pattern to the server's list (repeat); no push can "
            "remove it.",
            metavar="PATTERN",
        ),
    ] = None,
    unprotect: Annotated[
        list[str] | None,
        typer.Option(
            "--unprotect",
            help="Remove a pattern from the server's protected list (repeat).",
            metavar="PATTERN",
        ),
    ] = None,
    protect_only: Annotated[
        list[str] | None,
        typer.Option(
            "--protect-only",
            help="Replace the server's protected list with these patterns (repeat); not "
            "with --protect or --unprotect.",
            metavar="PATTERN",
        ),
    ] = None,
    python: Annotated[
        str | None,
        typer.Option(
            "--python",
            help="The Python the hooks run (default: this one); it must be able to import "
            "gitcoord and be executable by the server's git user.",
            metavar="PATH",
        ),
    ] = None,
    as_json: Json = False,
) -> None:
    """Install the pre-receive and reference-transaction hooks (idempotent).

    --admin and --user-map replace the stored ones; settings not given are kept. The
    protected list is merged: the first install records gitcoord.toml's [sync] protected
    (else main, release/*), --protect adds (on the first install too), --unprotect
    removes, --protect-only replaces the whole list; the resulting list is printed. The
    hooks enforce it together with the toml's list, and refuse a push that drops a
    recorded pattern from the toml. They also refuse commits that change a block-tier
    guarded path or a path outside the agent's role, and stale pushes to [sync] deploy
    branches (docs/server.md).

    \b
    Examples:
      gitcoord server install /srv/git/team.git
      gitcoord server install ~/repositories/team.git --admin alice --user-map users.txt
      gitcoord server install /srv/git/team.git --protect 'hotfix/*' --unprotect 'release/*'
      gitcoord server install /srv/git/team.git --protect-only main --protect-only 'release/*'
    """
    mapping = None
    if user_map is not None:
        try:
            text = user_map.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {user_map}: {exc}") from None
        mapping = parse_user_map(text, str(user_map))
    if python is not None and not (os.path.isfile(python) and os.access(python, os.X_OK)):
        raise UsageError(f"--python {python!r} is not an executable file")
    outcome = install(
        repository,
        admins=admin,
        user_map=mapping,
        protect=protect or (),
        unprotect=unprotect or (),
        protect_only=protect_only,
        python=python,
    )
    _print(outcome, as_json)


@server_app.command("uninstall", cls=PlainCommand)
def uninstall_command(
    repository: Annotated[str, typer.Argument(help="The bare repository.")],
    purge: Annotated[
        bool, typer.Option("--purge", help="Also forget admins, user map and protected branches.")
    ] = False,
    as_json: Json = False,
) -> None:
    """Remove gitcoord's server hooks (only hooks it wrote).

    \b
    Example:
      gitcoord server uninstall /srv/git/team.git
    """
    _print(uninstall(repository, purge=purge), as_json)
