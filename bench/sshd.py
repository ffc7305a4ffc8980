"""A throwaway OpenSSH server on 127.0.0.1 with generated host and user keys.

It serves the local filesystem, so `gitcoord-bench:/abs/path/team.git` reaches any bare
repository the benchmark creates. OpenSSH reads `~/.ssh/config` from the passwd home, not
$HOME, so the benchmark HOME's git config points `core.sshCommand` at its own ssh config.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.world import Transport
from tests.servers._proc import free_port

HOST_ALIAS = "gitcoord-bench"
SSHD_CANDIDATES = ("/usr/sbin/sshd", "/usr/local/sbin/sshd")


class SshUnavailable(Exception):
    """Why the SSH rows are skipped."""


def _sshd() -> str:
    found = shutil.which("sshd") or next(
        (p for p in SSHD_CANDIDATES if os.access(p, os.X_OK)), None
    )
    if not found:
        raise SshUnavailable("sshd is not installed (Debian: apt-get install -y openssh-server)")
    if not shutil.which("ssh") or not shutil.which("ssh-keygen"):
        raise SshUnavailable("the ssh client is not installed (apt-get install -y openssh-client)")
    return found


def _keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
        check=True,
        capture_output=True,
    )


def _server_config(conf_dir: Path, port: int) -> Path:
    _keygen(conf_dir / "host_ed25519")
    config = conf_dir / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\n"
        f"HostKey {conf_dir / 'host_ed25519'}\nPidFile {conf_dir / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {conf_dir / 'authorized_keys'}\n"
        "PubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "PermitRootLogin prohibit-password\nUsePAM no\nStrictModes no\n"
        # 16 agents connect at once; the default (10:30:100) would drop some.
        "MaxStartups 64\nMaxSessions 64\nLogLevel ERROR\n"
    )
    return config


def _client_config(home: Path, port: int) -> None:
    ssh_dir = home / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    _keygen(ssh_dir / "id_ed25519")
    user = pwd.getpwuid(os.geteuid()).pw_name
    (ssh_dir / "config").write_text(
        f"Host {HOST_ALIAS}\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n"
        f"  IdentityFile {ssh_dir / 'id_ed25519'}\n  IdentitiesOnly yes\n  BatchMode yes\n"
        "  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n"
    )
    with (home / ".gitconfig").open("a") as fh:
        fh.write(f"[core]\n\tsshCommand = ssh -F {ssh_dir / 'config'}\n")


@contextmanager
def loopback_sshd(conf_dir: Path, home: Path, env: dict[str, str]) -> Iterator[Transport]:
    """Start sshd for the user running the benchmark; raises SshUnavailable with the cause."""
    sshd = _sshd()
    port = free_port()
    conf_dir.mkdir(parents=True, exist_ok=True)
    config = _server_config(conf_dir, port)
    _client_config(home, port)
    (conf_dir / "authorized_keys").write_text((home / ".ssh" / "id_ed25519.pub").read_text())
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation directory
    log = conf_dir / "sshd.log"
    with log.open("wb") as log_fh:
        proc = subprocess.Popen(
            [sshd, "-D", "-e", "-f", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=log_fh,
            start_new_session=True,
        )
    try:
        _wait_ready(proc, env, home, log)
        yield Transport("ssh (loopback)", lambda bare: f"{HOST_ALIAS}:{bare}")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


def _wait_ready(proc: subprocess.Popen[bytes], env: dict[str, str], home: Path, log: Path) -> None:
    argv = ["ssh", "-F", str(home / ".ssh" / "config"), HOST_ALIAS, "true"]
    last = ""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = log.read_text(errors="replace")
            raise SshUnavailable(f"sshd exited with {proc.returncode}: {err.strip()[-300:]}")
        res = subprocess.run(argv, env=env, capture_output=True, timeout=15)
        if res.returncode == 0:
            return
        last = res.stderr.decode(errors="replace").strip()
        time.sleep(0.2)
    raise SshUnavailable(f"could not log in to the loopback sshd: {last[-300:]}")
