"""Smart HTTP: git http-backend behind nginx + fcgiwrap, with basic authentication.

nginx runs in the foreground with a generated config (pid, logs and temp paths in the
fixture's run dir) on 127.0.0.1:<port>; fcgiwrap listens on a unix socket in the same dir.
Every request needs a valid user (htpasswd, apr1 hashes from ``openssl passwd -apr1``);
nginx passes $remote_user as REMOTE_USER, which makes http-backend allow receive-pack, and
Git-Protocol as HTTP_GIT_PROTOCOL, so fetches speak protocol v2.

Agents authenticate through their own HOME: ~/.gitconfig has credential.helper=store and
~/.git-credentials holds http://<agent>:<password>@127.0.0.1:<port>. The url carries no
user name.
"""

from __future__ import annotations

import os
import pwd
import secrets
import subprocess
from collections.abc import Iterable
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

HTTP_BACKEND_CANDIDATES = (
    "/usr/lib/git-core/git-http-backend",
    "/usr/libexec/git-core/git-http-backend",
)


class HttpServer(BaseServer):
    """url: http://127.0.0.1:<port>/<name>.git. Hooks run as the fixture's user (root in
    CI) with REMOTE_USER=<agent> in their environment."""

    transport = "http"

    def __init__(
        self,
        agents: Iterable[str] = (),
        root: Path | None = None,
        port: int | None = None,
        workers: int = 8,
    ) -> None:
        super().__init__(agents, root)
        self.host = "127.0.0.1"
        self.port = port if port is not None else free_port(self.host)
        self.workers = workers
        self.passwords: dict[str, str] = {}
        self.htpasswd = self.run_dir / "htpasswd"
        self.socket = self.run_dir / "fcgiwrap.sock"
        self.nginx_conf = self.run_dir / "nginx.conf"
        self.nginx_log = self.run_dir / "nginx.log"
        self.fcgi_log = self.run_dir / "fcgiwrap.log"
        self.nginx: subprocess.Popen[bytes] | None = None
        self.fcgiwrap: subprocess.Popen[bytes] | None = None

    def _setup(self) -> None:
        self.nginx_bin = need_binary("nginx", "/usr/sbin/nginx")
        self.fcgiwrap_bin = need_binary("fcgiwrap", "/usr/sbin/fcgiwrap")
        self.openssl = need_binary("openssl")
        self.backend = need_binary("git-http-backend", *HTTP_BACKEND_CANDIDATES)
        self.htpasswd.write_text("")
        self.htpasswd.chmod(0o644)  # nginx workers may run as another user

    def _setup_agent(self, agent: str, home: Path) -> list[str]:
        password = secrets.token_urlsafe(12)
        self.passwords[agent] = password
        hashed = run([self.openssl, "passwd", "-apr1", "-stdin"], input=password + "\n")
        with open(self.htpasswd, "a") as f:
            f.write(f"{agent}:{hashed.stdout.strip()}\n")
        creds = home / ".git-credentials"
        creds.write_text(f"http://{agent}:{password}@{self.host}:{self.port}\n")
        creds.chmod(0o600)
        return ["[credential]", "\thelper = store"]

    def url(self, name: str, agent: str | None = None) -> str:
        return f"http://{self.host}:{self.port}/{self.stored_name(name)}.git"

    def _write_nginx_conf(self) -> None:
        run_dir = self.run_dir
        for sub in ("body", "fastcgi", "proxy", "uwsgi", "scgi"):
            (run_dir / f"tmp-{sub}").mkdir(exist_ok=True)
        user = ""
        if os.geteuid() == 0:
            # workers run as the caller, so they can use the fcgiwrap socket
            pw = pwd.getpwuid(os.geteuid())
            user = f"user {pw.pw_name};\n"
        params = {
            "SCRIPT_FILENAME": self.backend,
            "GIT_PROJECT_ROOT": str(self.repos_dir),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(self.server_home),
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "PATH_INFO": "$uri",
            "QUERY_STRING": "$query_string",
            "REQUEST_METHOD": "$request_method",
            "CONTENT_TYPE": "$content_type",
            "CONTENT_LENGTH": "$content_length",
            "REMOTE_USER": "$remote_user",
            "REMOTE_ADDR": "$remote_addr",
            "SERVER_PROTOCOL": "$server_protocol",
            "HTTP_GIT_PROTOCOL": "$http_git_protocol",
            "HTTP_CONTENT_ENCODING": "$http_content_encoding",
        }
        fastcgi = "".join(f'            fastcgi_param {k} "{v}";\n' for k, v in params.items())
        self.nginx_conf.write_text(
            f"{user}"
            "daemon off;\n"
            "master_process on;\n"
            "worker_processes 1;\n"
            f"pid {run_dir / 'nginx.pid'};\n"
            f"error_log {self.nginx_log} info;\n"
            "events { worker_connections 512; }\n"
            "http {\n"
            f"    access_log {run_dir / 'access.log'};\n"
            f"    client_body_temp_path {run_dir / 'tmp-body'};\n"
            f"    fastcgi_temp_path {run_dir / 'tmp-fastcgi'};\n"
            f"    proxy_temp_path {run_dir / 'tmp-proxy'};\n"
            f"    uwsgi_temp_path {run_dir / 'tmp-uwsgi'};\n"
            f"    scgi_temp_path {run_dir / 'tmp-scgi'};\n"
            "    server {\n"
            f"        listen {self.host}:{self.port};\n"
            "        client_max_body_size 0;\n"
            "        fastcgi_buffering off;\n"
            "        fastcgi_read_timeout 300s;\n"
            "        location / {\n"
            '            auth_basic "gitcoord";\n'
            f"            auth_basic_user_file {self.htpasswd};\n"
            f"            fastcgi_pass unix:{self.socket};\n"
            f"{fastcgi}"
            "        }\n"
            "    }\n"
            "}\n"
        )

    def start_server(self) -> None:
        self._write_nginx_conf()
        self.socket.unlink(missing_ok=True)
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "LANG": "C.UTF-8"}
        self.fcgiwrap = spawn(
            [
                self.fcgiwrap_bin,
                "-f",
                "-c",
                str(self.workers),
                "-p",
                self.backend,
                "-s",
                f"unix:{self.socket}",
            ],
            self.fcgi_log,
            env=env,
        )
        wait_until(self.socket.exists, self.fcgiwrap, "fcgiwrap", self.fcgi_log)
        self.nginx = spawn(
            [
                self.nginx_bin,
                "-p",
                str(self.run_dir),
                "-c",
                str(self.nginx_conf),
                "-e",
                str(self.nginx_log),
            ],
            self.nginx_log,
            env=env,
        )
        wait_until(lambda: port_open(self.host, self.port), self.nginx, "nginx", self.nginx_log)

    def _processes(self) -> list[subprocess.Popen[bytes] | None]:
        return [self.nginx, self.fcgiwrap]

    def kill_server(self) -> None:
        try:
            kill_tree(self.nginx)
        finally:
            kill_tree(self.fcgiwrap)
        self.nginx = self.fcgiwrap = None
