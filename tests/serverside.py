"""Helpers for server-hook tests: install the hooks with the real CLI, forge objects on a remote."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from gitcoord.core import refnames
from gitcoord.core.claim import Claim, new_nonce
from gitcoord.core.modes import Mode
from gitcoord.core.paths import ClaimPath
from tests.gitenv import Agent, Result


def gitcoord_server(env: dict[str, str], *args: str) -> Result:
    proc = subprocess.run(
        ["gitcoord", "server", *args], env=env, capture_output=True, text=True, timeout=60
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def served_repo(agent: Agent) -> Path:
    url = agent.git("remote", "get-url", "origin").strip()
    assert url.startswith("file://"), url
    return Path(url[len("file://") :])


def make_claim(path: str, agent: str, *, mode: str = "write", ttl: int = 3600, **kw: str) -> Claim:
    cp = ClaimPath.parse_stored(path)
    now = time.time()
    session = kw.pop("session", "s-" + agent)
    claim = Claim(
        id="c0ffee",
        path=cp,
        mode=Mode(mode),
        agent=agent,
        host="test",
        worktree="/nowhere",
        session=session,
        reason=kw.pop("reason", ""),
        ttl=ttl,
        created_at=now,
        expires_at=now + ttl,
        priority_at=now,
        nonce=new_nonce(),
    )
    return claim._replace(ref=refnames.claim_ref(cp.key, Mode(mode), agent, session))


def write_commit(git_dir: Path, message: str, env: dict[str, str]) -> str:
    """A parentless commit with the empty tree, written straight into `git_dir`."""
    who = {
        f"GIT_{r}_{f}": v
        for r in ("AUTHOR", "COMMITTER")
        for f, v in (("NAME", "gitcoord"), ("EMAIL", "gitcoord@localhost"))
    }
    run = {
        "cwd": git_dir,
        "env": {**env, **who},
        "capture_output": True,
        "text": True,
        "check": True,
    }
    tree = subprocess.run(["git", "mktree"], input="", **run).stdout.strip()  # type: ignore[call-overload]
    out = subprocess.run(["git", "commit-tree", tree], input=message, **run)  # type: ignore[call-overload]
    return str(out.stdout.strip())
