"""OpenSSH sshd (run in the foreground with a generated config) serving git over ssh.

Agents reach it through a Host alias in their own ~/.ssh/config, which git uses because
their ~/.gitconfig sets core.sshCommand = "ssh -F <HOME>/.ssh/config" (OpenSSH reads
~/.ssh/config from the passwd home directory, never from $HOME, so a per-agent HOME
needs the -F). Host keys are pinned in a per-agent known_hosts: StrictHostKeyChecking
stays on.
"""

from __future__ import annotations

import os
import pwd
import subprocess
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from ._proc import (
    free_port,
    kill_tree,
    need_binary,
    port_open,
    run,
    spawn,
    wait_until,
)
from .base import BaseServer


def keygen(path: Path, comment: str) -> str:
    """Generate an ed25519 key pair at path (no passphrase); return the public key line."""
    if not path.exists():
        run(
            [
                need_binary("ssh-keygen"),
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                comment,
                "-f",
                str(path),
            ],
        )
    return path.with_suffix(".pub").read_text().strip()


class SshdServer(BaseServer):
    """Shared sshd machinery; subclasses decide the login user and what a key may run."""

    alias = "gitcoord-ssh"

    def __init__(
        self,
        agents: Iterable[str] = (),
        root: Path | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        prefix: Sequence[str] = (),
        ready: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(agents, root)
        self.host = host
        self.port = port if port is not None else free_port(host)
        self.prefix = list(prefix)
        self._ready = ready
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = self.run_dir / "sshd.log"
        self.sshd_config = self.run_dir / "sshd_config"
        self.host_key = self.run_dir / "ssh_host_ed25519_key"
        self.host_pub = ""

    # subclass hooks ------------------------------------------------------------------------

    @property
    def login_user(self) -> str:
        raise NotImplementedError

    @property
    def authorized_keys(self) -> Path:
        raise NotImplementedError

    def session_env(self) -> dict[str, str]:
        """Variables sshd sets (SetEnv, overriding the passwd HOME) for every session."""
        return {"GIT_CONFIG_NOSYSTEM": "1"}

    def _refresh_keys(self) -> None:
        """Write authorized_keys for the current agents."""
        raise NotImplementedError

    # setup ----------------------------------------------------------------------------------

    def _setup(self) -> None:
        self.sshd = need_binary("sshd", "/usr/sbin/sshd")
        need_binary("ssh")
        self.host_pub = keygen(self.host_key, f"{self.alias}-host")
        if os.geteuid() == 0:
            # privilege separation directory (tmpfs /run may be fresh in containers)
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)

    def agent_key(self, agent: str) -> Path:
        return self.home(agent) / ".ssh" / "id_ed25519"

    def _setup_agent(self, agent: str, home: Path) -> list[str]:
        ssh_dir = home / ".ssh"
        ssh_dir.mkdir(mode=0o700, exist_ok=True)
        keygen(self.agent_key(agent), f"{agent}@gitcoord.test")
        known = ssh_dir / "known_hosts"
        known.write_text(f"{self.alias} {self.host_pub}\n")
        config = ssh_dir / "config"
        config.write_text(
            f"Host {self.alias}\n"
            f"    HostName {self.host}\n"
            f"    Port {self.port}\n"
            f"    User {self.login_user}\n"
            f"    IdentityFile {self.agent_key(agent)}\n"
            "    IdentitiesOnly yes\n"
            "    IdentityAgent none\n"
            f"    HostKeyAlias {self.alias}\n"
            f"    UserKnownHostsFile {known}\n"
            "    GlobalKnownHostsFile /dev/null\n"
            "    StrictHostKeyChecking yes\n"
            "    CheckHostIP no\n"
            "    BatchMode yes\n"
            "    PasswordAuthentication no\n"
            "    KbdInteractiveAuthentication no\n"
            "    ControlMaster no\n"
            "    ConnectTimeout 10\n"
            "    ServerAliveInterval 5\n"
            "    ServerAliveCountMax 2\n"
            "    LogLevel ERROR\n"
        )
        config.chmod(0o600)
        if self._started:
            self._refresh_keys()
        return ["[core]", f"\tsshCommand = ssh -F {config}"]

    def _write_config(self) -> None:
        setenv = " ".join(f"{k}={v}" for k, v in self.session_env().items())
        self.sshd_config.write_text(
            f"ListenAddress {self.host}:{self.port}\n"
            f"HostKey {self.host_key}\n"
            f"PidFile {self.run_dir / 'sshd.pid'}\n"
            f"AuthorizedKeysFile {self.authorized_keys}\n"
            "AuthorizedPrincipalsFile none\n"
            "AuthenticationMethods publickey\n"
            "PubkeyAuthentication yes\n"
            "PasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\n"
            "HostbasedAuthentication no\n"
            "UsePAM no\n"
            "PermitRootLogin prohibit-password\n"
            f"AllowUsers {self.login_user}\n"
            # the fixture's temp directories are not laid out for sshd's ownership checks
            "StrictModes no\n"
            "PermitUserEnvironment GITCOORD_SSH_AGENT\n"
            f"SetEnv {setenv}\n"
            "PrintMotd no\n"
            "PrintLastLog no\n"
            "UseDNS no\n"
            "X11Forwarding no\n"
            "AllowTcpForwarding no\n"
            "AllowAgentForwarding no\n"
            # many racing agents connect at once: do not drop unauthenticated connections
            "MaxStartups 200\n"
            "MaxSessions 50\n"
            "LoginGraceTime 30\n"
            "ClientAliveInterval 0\n"
            "LogLevel VERBOSE\n"
        )

    # lifecycle ------------------------------------------------------------------------------

    def start_server(self) -> None:
        self._refresh_keys()
        self._write_config()
        self.proc = spawn(
            [*self.prefix, self.sshd, "-D", "-e", "-f", str(self.sshd_config)],
            self.log,
            env={"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "LANG": "C.UTF-8"},
        )
        wait_until(
            self._ready or (lambda: port_open(self.host, self.port)),
            self.proc,
            "sshd",
            self.log,
        )

    def _processes(self) -> list[subprocess.Popen[bytes] | None]:
        return [self.proc]

    def kill_server(self) -> None:
        kill_tree(self.proc)
        self.proc = None


class SshServer(SshdServer):
    """sshd logging every agent in as the current unix user (root in CI) with its own key.

    url: ssh://gitcoord-ssh/<root>/repos/<name>.git (scp form: scp_url()). Server-side
    sessions get HOME=<root>/server-home, GIT_CONFIG_NOSYSTEM=1 and
    GITCOORD_SSH_AGENT=<agent> (so a hook can tell agents apart).
    """

    transport = "ssh"
    alias = "gitcoord-ssh"

    @property
    def login_user(self) -> str:
        return pwd.getpwuid(os.geteuid()).pw_name

    @property
    def authorized_keys(self) -> Path:
        return self.run_dir / "authorized_keys"

    def session_env(self) -> dict[str, str]:
        return {"GIT_CONFIG_NOSYSTEM": "1", "HOME": str(self.server_home)}

    def _refresh_keys(self) -> None:
        lines = [
            f'restrict,environment="GITCOORD_SSH_AGENT={a}" '
            + self.agent_key(a).with_suffix(".pub").read_text().strip()
            for a in self.agents
        ]
        tmp = self.authorized_keys.with_suffix(".tmp")
        tmp.write_text("".join(line + "\n" for line in lines))
        tmp.chmod(0o600)
        tmp.replace(self.authorized_keys)

    def url(self, name: str, agent: str | None = None) -> str:
        return f"ssh://{self.alias}{self.repo_path(name)}"

    def scp_url(self, name: str) -> str:
        return f"{self.alias}:{self.repo_path(name)}"
