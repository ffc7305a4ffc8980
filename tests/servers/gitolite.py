"""gitolite3 behind its own sshd: one gitolite user per agent key, plus an admin key.

The hosting unix user (default ``gitcoord-gl``, override with GITCOORD_GITOLITE_USER) is
created by .ci/install-servers.sh, or here if missing. Each fixture runs gitolite with
HOME=<root>/gl-home (owned by that user): sshd's SetEnv overrides the passwd HOME for
the sessions, and the fixture runs ``gitolite`` commands the same way, so fixtures never
share state. Administration is done server side (edit ~/.gitolite/conf + keydir, then
``gitolite setup``), which gitolite supports and which is much faster than pushing
gitolite-admin for every change.

Every repository made by create_repo() gets ``RW+ = @all``: every agent may create,
rewind and delete any ref (refs/claims/*, refs/heads/*, anything). Hooks installed with
install_hook() run as the hosting user with GL_USER=<agent> in their environment.
"""

from __future__ import annotations

import os
import pwd
import shutil
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from ._proc import ServerUnavailable, need_binary, need_root, run
from .ssh import SshdServer, keygen

GITOLITE_USER = os.environ.get("GITCOORD_GITOLITE_USER", "gitcoord-gl")
GITOLITE_SHELL = "/usr/share/gitolite3/gitolite-shell"
ADMIN = "gladmin"


def ensure_hosting_user(user: str = GITOLITE_USER) -> pwd.struct_passwd:
    """The gitolite hosting user, created (idempotently) if missing."""
    try:
        return pwd.getpwnam(user)
    except KeyError:
        pass
    need_root("creating the gitolite hosting user")
    run(
        [
            "useradd",
            "--system",
            "--user-group",
            "--home-dir",
            f"/var/lib/{user}",
            "--create-home",
            "--shell",
            "/bin/sh",
            "--comment",
            "gitcoord test gitolite",
            user,
        ],
        check=False,
    )
    # key logins are refused for a locked ('!') password when UsePAM is off
    run(["usermod", "-p", "*", user])
    return pwd.getpwnam(user)


class GitoliteServer(SshdServer):
    """url: gitcoord-gitolite:<name>.git (scp-like form through the Host alias)."""

    transport = "gitolite"
    alias = "gitcoord-gitolite"

    def __init__(
        self,
        agents: Iterable[str] = (),
        root: Path | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        prefix: Sequence[str] = (),
        ready: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(agents, root, host, port, prefix, ready)
        self.gl_home = self.root / "gl-home"
        self.repos_dir = self.gl_home / "repositories"
        self.repos: list[str] = []
        self.admin_key = self.run_dir / "admin_ed25519"

    @property
    def login_user(self) -> str:
        return GITOLITE_USER

    @property
    def authorized_keys(self) -> Path:
        return self.gl_home / ".ssh" / "authorized_keys"

    def session_env(self) -> dict[str, str]:
        return {"GIT_CONFIG_NOSYSTEM": "1", "HOME": str(self.gl_home)}

    def _setup(self) -> None:
        need_root("gitolite (sshd must switch to the hosting user)")
        need_binary("gitolite")
        if not os.access(GITOLITE_SHELL, os.X_OK):
            raise ServerUnavailable(f"{GITOLITE_SHELL} missing (install gitolite3)")
        super()._setup()
        self.pw = ensure_hosting_user()
        self.gl_home.mkdir(mode=0o700, exist_ok=True)
        (self.gl_home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
        admin_pub = keygen(self.admin_key, ADMIN)
        (self.gl_home / f"{ADMIN}.pub").write_text(admin_pub + "\n")
        self._chown_tree(self.gl_home)
        self._initialized = False
        self._applied: tuple[tuple[str, ...], tuple[str, ...]] | None = None

    def gitolite(self, *args: str) -> str:
        """Run a gitolite command as the hosting user in this fixture's gitolite HOME."""
        res = run(
            [
                "runuser",
                "-u",
                GITOLITE_USER,
                "--",
                "env",
                "-i",
                f"HOME={self.gl_home}",
                "GIT_CONFIG_NOSYSTEM=1",
                "LANG=C.UTF-8",
                "PATH=/usr/local/bin:/usr/bin:/bin",
                "gitolite",
                *args,
            ],
            cwd=self.gl_home,
        )
        return res.stdout

    def _chown_tree(self, path: Path) -> None:
        for dirpath, dirnames, filenames in os.walk(path):
            for n in (dirpath, *(os.path.join(dirpath, x) for x in dirnames + filenames)):
                os.lchown(n, self.pw.pw_uid, self.pw.pw_gid)

    def _fix_owner(self, path: Path) -> None:
        os.chown(path, self.pw.pw_uid, self.pw.pw_gid)

    def _write_conf(self) -> None:
        admin = self.gl_home / ".gitolite"
        keydir = admin / "keydir"
        keydir.mkdir(parents=True, exist_ok=True)
        (admin / "conf").mkdir(exist_ok=True)
        (admin / "logs").mkdir(exist_ok=True)
        for agent in self.agents:
            shutil.copyfile(self.agent_key(agent).with_suffix(".pub"), keydir / f"{agent}.pub")
        shutil.copyfile(self.admin_key.with_suffix(".pub"), keydir / f"{ADMIN}.pub")
        lines = [
            "repo gitolite-admin",
            f"    RW+     =   {ADMIN}",
            "",
        ]
        for name in self.repos:
            lines += [f"repo {name}", "    RW+     =   @all", ""]
        (admin / "conf" / "gitolite.conf").write_text("\n".join(lines))
        self._chown_tree(admin)

    def _refresh_keys(self) -> None:
        # compile the conf and rewrite ~/.ssh/authorized_keys (the ssh-authkeys trigger);
        # the first run also creates ~/.gitolite.rc and the gitolite-admin repository
        state = (tuple(self.agents), tuple(self.repos))
        if state == self._applied:
            return
        self._write_conf()
        if self._initialized and self._applied is not None and state[0] == self._applied[0]:
            # only repositories changed: compiling creates them (with gitolite's hooks)
            self.gitolite("compile")
        elif self._initialized:
            self.gitolite("setup")
        else:
            self.gitolite("setup", "-pk", str(self.gl_home / f"{ADMIN}.pub"))
            self._initialized = True
        self._applied = state

    def _init_bare(self, name: str, path: Path) -> None:
        self.repos.append(name)
        self._refresh_keys()
        if not path.is_dir():
            raise RuntimeError(f"gitolite did not create {path}")

    def url(self, name: str, agent: str | None = None) -> str:
        return f"{self.alias}:{self.stored_name(name)}.git"

    def _drop_repos(self, scope: str) -> None:
        self.repos = [name for name in self.repos if not name.startswith(scope)]
        super()._drop_repos(scope)
