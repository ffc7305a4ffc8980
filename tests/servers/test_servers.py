"""The server fixtures themselves: real git clients against every real server."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from ._proc import ServerUnavailable, descendants
from .base import BaseServer, Server
from .fixtures import TRANSPORTS, in_ci, serving, unavailable
from .gitolite import GitoliteServer
from .http import HttpServer
from .netns import NetnsLab
from .ssh import SshServer

ZERO = "0" * 40


class Agent:
    """One agent's clone of a repository, driven by the git CLI in the agent's env."""

    def __init__(
        self,
        server: BaseServer,
        name: str,
        workdir: Path,
        prefix: Sequence[str] = (),
    ) -> None:
        self.server = server
        self.name = name
        self.dir = workdir / name
        self.env = server.env(name)
        self.prefix = list(prefix)

    def git(
        self, *args: str, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        res = subprocess.run(
            [*self.prefix, "git", *args],
            cwd=self.dir if self.dir.exists() else None,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and res.returncode != 0:
            pytest.fail(f"{self.name}: git {' '.join(args)} -> {res.returncode}\n{res.stderr}")
        return res

    def clone(self, url: str) -> None:
        self.git("clone", "--quiet", url, str(self.dir))

    def commit(self, message: str) -> str:
        self.git("commit", "--allow-empty", "--quiet", "-m", message)
        return self.git("rev-parse", "HEAD").stdout.strip()

    def claim(self, ref: str, oid: str, lease: str = "") -> subprocess.CompletedProcess[str]:
        """The CAS push gitcoord makes: atomic, porcelain, leased."""
        return self.git(
            "push",
            "--atomic",
            "--porcelain",
            f"--force-with-lease={ref}:{lease}",
            "origin",
            f"{oid}:{ref}",
            check=False,
        )

    def fetch_claims(
        self, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        return self.git(
            "fetch",
            "--no-tags",
            "--prune",
            "origin",
            "+refs/claims/*:refs/remotes/c/*",
            check=check,
            timeout=timeout,
        )

    def fetched(self) -> dict[str, str]:
        out = self.git("for-each-ref", "--format=%(objectname) %(refname)", "refs/remotes/c/")
        return {
            ref.removeprefix("refs/remotes/c/"): oid
            for oid, ref in (line.split() for line in out.stdout.splitlines())
        }


def server_ref(server: BaseServer, name: str, ref: str) -> str | None:
    res = subprocess.run(
        ["git", "--git-dir", str(server.repo_path(name)), "rev-parse", "--verify", "-q", ref],
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"},
        check=False,
    )
    return res.stdout.strip() or None


def porcelain_status(out: str, ref: str) -> str:
    """The flag of ref's line in `git push --porcelain` output ('*', '!', '=', ...)."""
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[1].endswith(":" + ref):
            return parts[0]
    raise AssertionError(f"no porcelain line for {ref} in:\n{out}")


# -- every transport ----------------------------------------------------------------------


def test_server_matches_protocol(server: BaseServer) -> None:
    assert isinstance(server, Server)
    assert server.transport in TRANSPORTS
    env = server.client_env("alice")
    assert env["GIT_CONFIG_NOSYSTEM"] == "1"
    assert Path(env["HOME"], ".gitconfig").is_file()
    assert env["GIT_AUTHOR_NAME"] == env["GIT_COMMITTER_NAME"] == "alice"


def test_claim_roundtrip_per_agent(server: BaseServer, tmp_path: Path) -> None:
    url = server.create_repo("coord")
    agents = [Agent(server, a, tmp_path) for a in server.agents]
    landed: dict[str, str] = {}
    for ag in agents:
        ag.clone(url)
        ref = f"refs/claims/x-{ag.name}"
        oid = ag.commit(f"claim by {ag.name}")
        res = ag.claim(ref, oid)
        assert res.returncode == 0, res.stderr
        assert porcelain_status(res.stdout, ref) == "*"
        assert server_ref(server, "coord", ref) == oid  # the push landed server side
        landed[f"x-{ag.name}"] = oid

        # a second claim with the empty lease ("must not exist") is refused ...
        again = ag.commit(f"second claim by {ag.name}")
        res = ag.claim(ref, again)
        assert res.returncode != 0
        assert porcelain_status(res.stdout, ref) == "!"
        assert server_ref(server, "coord", ref) == oid  # ... and changed nothing
        # ... while the holder's own leased update succeeds
        res = ag.claim(ref, again, lease=oid)
        assert res.returncode == 0, res.stderr
        landed[f"x-{ag.name}"] = again

    # another agent cannot take alice's ref with an empty lease
    bob = agents[1]
    res = bob.claim("refs/claims/x-alice", bob.commit("steal"))
    assert res.returncode != 0
    assert server_ref(server, "coord", "refs/claims/x-alice") == landed["x-alice"]

    for ag in agents:
        ag.fetch_claims()
        assert ag.fetched() == landed

    # a leased delete, then --prune drops it from every fetcher
    alice = agents[0]
    res = alice.git(
        "push",
        "--atomic",
        "--porcelain",
        f"--force-with-lease=refs/claims/x-alice:{landed['x-alice']}",
        "origin",
        ":refs/claims/x-alice",
        check=False,
    )
    assert res.returncode == 0, res.stderr
    del landed["x-alice"]
    bob.fetch_claims()
    assert bob.fetched() == landed


def test_atomic_push_is_all_or_nothing(server: BaseServer, tmp_path: Path) -> None:
    url = server.create_repo("atomic")
    alice, bob = (Agent(server, a, tmp_path) for a in ("alice", "bob"))
    alice.clone(url)
    bob.clone(url)
    held = alice.commit("alice holds b")
    assert alice.claim("refs/claims/b", held).returncode == 0
    mine = bob.commit("bob wants a and b")
    res = bob.git(
        "push",
        "--atomic",
        "--porcelain",
        "--force-with-lease=refs/claims/a:",
        "--force-with-lease=refs/claims/b:",
        "origin",
        f"{mine}:refs/claims/a",
        f"{mine}:refs/claims/b",
        check=False,
    )
    assert res.returncode != 0
    assert server_ref(server, "atomic", "refs/claims/a") is None
    assert server_ref(server, "atomic", "refs/claims/b") == held


def test_server_advertises_atomic_push(server: BaseServer, tmp_path: Path) -> None:
    url = server.create_repo("caps")
    alice = Agent(server, "alice", tmp_path)
    alice.clone(url)
    alice.commit("probe")
    alice.env = {**alice.env, "GIT_TRACE_PACKET": "1"}
    res = alice.git("push", "--dry-run", "--porcelain", "origin", "HEAD:refs/claims/probe")
    # the first advertised ref carries the capabilities after a NUL (traced as "\\0"); the
    # trace names the packet "push<" (git://, ssh, file) or "git<" (smart HTTP)
    first = next(
        line
        for line in res.stderr.splitlines()
        if ("push<" in line or "git<" in line) and "\\0report-status" in line
    )
    caps = first.split("\\0", 1)[1].split()
    assert "atomic" in caps, first
    assert "report-status" in caps


def test_kill_and_restart(server: BaseServer, tmp_path: Path) -> None:
    url = server.create_repo("restart")
    alice = Agent(server, "alice", tmp_path)
    alice.clone(url)
    oid = alice.commit("before")
    assert alice.claim("refs/claims/r", oid).returncode == 0
    server.kill_server()
    if server.transport != "file":
        assert alice.fetch_claims(check=False, timeout=30).returncode != 0
    server.restart()
    alice.fetch_claims()
    assert alice.fetched() == {"r": oid}


def test_agent_added_later(server: BaseServer, tmp_path: Path) -> None:
    url = server.create_repo("later")
    server.add_agent("racer-3")
    racer = Agent(server, "racer-3", tmp_path)
    racer.clone(url)
    oid = racer.commit("racer")
    assert racer.claim("refs/claims/racer", oid).returncode == 0
    assert server_ref(server, "later", "refs/claims/racer") == oid


# -- identities seen by the server --------------------------------------------------------

IDENTITY_HOOK = """#!/bin/sh
printf '%s\\n' "${{{var}}}" >> "$PWD/pushers.log"
"""


@pytest.mark.parametrize(
    ("transport", "var"),
    [("gitolite", "GL_USER"), ("http", "REMOTE_USER"), ("ssh", "GITCOORD_SSH_AGENT")],
)
def test_server_sees_agent_identity(transport: str, var: str, tmp_path: Path) -> None:
    with serving(transport) as srv:
        url = srv.create_repo("ident")
        srv.install_hook("ident", "pre-receive", IDENTITY_HOOK.format(var=var))
        for name in ("alice", "bob"):
            ag = Agent(srv, name, tmp_path)
            ag.clone(url)
            assert ag.claim(f"refs/claims/{name}", ag.commit(name)).returncode == 0
        log = (srv.repo_path("ident") / "pushers.log").read_text().split()
        assert log == ["alice", "bob"]


def test_http_requires_credentials(http_server: BaseServer, tmp_path: Path) -> None:
    assert isinstance(http_server, HttpServer)
    url = http_server.create_repo("private")
    env = {**http_server.env("alice"), "HOME": str(tmp_path)}  # a HOME without credentials
    res = subprocess.run(
        ["git", "ls-remote", url], env=env, capture_output=True, text=True, check=False
    )
    assert res.returncode != 0
    assert "401" in Path(http_server.run_dir, "access.log").read_text()


def test_gitolite_refuses_unknown_repo(gitolite_server: BaseServer, tmp_path: Path) -> None:
    assert isinstance(gitolite_server, GitoliteServer)
    res = subprocess.run(
        ["git", "ls-remote", gitolite_server.url("nope")],
        env=gitolite_server.env("alice"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode != 0
    assert "DENIED" in res.stderr


def test_ssh_url_forms_use_the_host_alias(ssh_server: BaseServer, tmp_path: Path) -> None:
    assert isinstance(ssh_server, SshServer)
    ssh_server.create_repo("alias")
    assert ssh_server.url("alias").startswith("ssh://gitcoord-ssh/")
    for url in (ssh_server.url("alias"), ssh_server.scp_url("alias")):
        res = subprocess.run(
            ["git", "ls-remote", url],
            env=ssh_server.env("bob"),
            capture_output=True,
            text=True,
            check=False,
        )
        assert res.returncode == 0, res.stderr
    # without the agent's configuration the alias means nothing
    env = {k: v for k, v in ssh_server.env("bob").items() if k != "HOME"}
    env["HOME"] = str(tmp_path)
    res = subprocess.run(
        ["git", "ls-remote", ssh_server.url("alias")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert res.returncode != 0


# -- cleanup ------------------------------------------------------------------------------


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purposes
    with contextlib.suppress(OSError):
        return " Z " not in Path(f"/proc/{pid}/stat").read_text()
    return False


@pytest.mark.parametrize("transport", ["git", "ssh", "http", "gitolite"])
def test_no_stray_processes(transport: str, tmp_path: Path) -> None:
    pids: list[int] = []
    root: Path | None = None
    with pytest.raises(RuntimeError, match="boom"), serving(transport) as srv:
        root = srv.root
        url = srv.create_repo("stray")
        Agent(srv, "alice", tmp_path).clone(url)
        for attr in ("proc", "nginx", "fcgiwrap"):
            proc = getattr(srv, attr, None)
            if isinstance(proc, subprocess.Popen):
                pids += [proc.pid, *descendants(proc.pid)]
        raise RuntimeError("boom")  # a failing test still cleans up
    assert pids
    assert not [p for p in pids if _alive(p)]
    assert root is not None and not root.exists()


def test_missing_server_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert in_ci()
    with pytest.raises(pytest.fail.Exception):
        unavailable(ServerUnavailable("nginx not found"))
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        unavailable(ServerUnavailable("nginx not found"))


# -- network namespaces -------------------------------------------------------------------


@contextlib.contextmanager
def lab_server(lab: NetnsLab, kind: str) -> Iterator[BaseServer]:
    try:
        srv = lab.git_daemon() if kind == "git" else lab.sshd()
        with srv:
            yield srv
    except ServerUnavailable as exc:
        unavailable(exc)


@pytest.mark.parametrize("kind", ["git", "ssh"])
def test_netns_cut_and_heal(netns_lab: NetnsLab, kind: str, tmp_path: Path) -> None:
    lab = netns_lab
    with lab_server(lab, kind) as srv:
        assert lab.server_addr in srv.url("x") or kind == "ssh"
        url = srv.create_repo("part")
        alice, bob = (Agent(srv, a, tmp_path, lab.prefix(a)) for a in ("alice", "bob"))
        alice.clone(url)
        bob.clone(url)
        oid = alice.commit("alice")
        assert alice.claim("refs/claims/p", oid).returncode == 0

        lab.cut("alice")
        assert alice.fetch_claims(check=False, timeout=30).returncode != 0
        bob.fetch_claims()  # the others still reach the server
        assert bob.fetched() == {"p": oid}

        lab.heal("alice")
        alice.fetch_claims()
        assert alice.fetched() == {"p": oid}


def test_netns_blackhole_hangs_until_timeout(netns_lab: NetnsLab, tmp_path: Path) -> None:
    lab = netns_lab
    with lab_server(lab, "git") as srv:
        url = srv.create_repo("bh")
        alice = Agent(srv, "alice", tmp_path, lab.prefix("alice"))
        alice.clone(url)
        lab.cut("alice", mode="blackhole")
        start = time.monotonic()
        with pytest.raises(subprocess.TimeoutExpired):
            alice.fetch_claims(check=False, timeout=1.5)
        assert time.monotonic() - start >= 1.5
        lab.heal("alice")
        alice.fetch_claims()


def test_netns_cleans_up(tmp_path: Path) -> None:
    try:
        with NetnsLab(["a1"]) as lab:
            names = [lab.server_ns, lab.agent_ns("a1")]
    except ServerUnavailable as exc:
        unavailable(exc)
    listed = subprocess.run(
        ["ip", "netns", "list"], capture_output=True, text=True, check=True
    ).stdout
    assert not [n for n in names if n in listed]
