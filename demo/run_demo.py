"""`make demo`: three agents and a shared bare remote, narrated, using the real CLI.

Everything here is real git: a bare repository on disk is the team's remote, and each
agent is a clone with its own identity. Nothing is mocked; the output is what you get.
It all happens in one temporary directory, removed at the end, also after an error, Ctrl-C
or SIGTERM; `--keep` leaves it for a look around.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BOLD, DIM, RESET = ("\033[1m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("", "", "")


def say(text: str) -> None:
    print(f"\n{BOLD}# {text}{RESET}", flush=True)


# Processes started with Agent.spawn: stopped before the directory they work in is removed.
_spawned: list[subprocess.Popen[str]] = []


class Agent:
    def __init__(self, name: str, root: Path, remote: Path, env: dict[str, str]) -> None:
        self.name = name
        self.path = root / name
        self.env = {**env, "GITCOORD_AGENT": name}
        subprocess.run(
            ["git", "clone", "-q", str(remote), str(self.path)],
            env=env,
            check=True,
            capture_output=True,
        )
        for key, value in (("user.name", name), ("user.email", f"{name}@example.com")):
            subprocess.run(["git", "-C", str(self.path), "config", key, value], check=True)

    def run(self, *args: str, show: bool = True) -> int:
        if show:
            print(f"{DIM}{self.name}${RESET} {shlex.join(args)}", flush=True)
        proc = subprocess.run(args, cwd=self.path, env=self.env, capture_output=True, text=True)
        for stream in (proc.stdout, proc.stderr):
            for line in stream.rstrip("\n").splitlines():
                print(f"    {line}", flush=True)
        if show and proc.returncode:
            print(f"    {DIM}(exit {proc.returncode}){RESET}", flush=True)
        return proc.returncode

    def output(self, *args: str) -> str:
        """Run quietly and return what it printed (for output the demo explains itself)."""
        print(f"{DIM}{self.name}${RESET} {shlex.join(args)}", flush=True)
        proc = subprocess.run(args, cwd=self.path, env=self.env, capture_output=True, text=True)
        return proc.stdout

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            args,
            cwd=self.path,
            env=self.env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        _spawned.append(proc)
        return proc


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds like Ctrl-C, so the directory is removed


def _remove(root: Path) -> None:
    """Stop what the demo started, then remove its directory. A git process left behind by
    an interrupted gitcoord may still be writing there for a moment: try again briefly."""
    for proc in _spawned:
        proc.kill()
        proc.wait()
    for _ in range(50):
        shutil.rmtree(root, ignore_errors=True)
        if not root.exists():
            return
        time.sleep(0.1)
    print(f"could not remove {root}; delete it by hand", file=sys.stderr)


def main() -> int:
    keep = "--keep" in sys.argv[1:]
    signal.signal(signal.SIGTERM, _terminated)
    root = Path(tempfile.mkdtemp(prefix="gitcoord-demo-"))
    try:
        return scenario(root)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        if keep:
            print(f"The remote and the clones are kept in {root} (delete it when done).")
        else:
            _remove(root)


def scenario(root: Path) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "GITCOORD_"))}
    env.update(GIT_CONFIG_NOSYSTEM="1", HOME=str(root / "home"))
    (root / "home").mkdir()
    (root / "home" / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
    remote = root / "team.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], env=env, check=True)

    say(f"A bare repository is the team's shared remote: {remote}")
    alice, bob, carol = (Agent(n, root, remote, env) for n in ("alice", "bob", "carol"))
    for rel in ("src/api.py", "src/db.py", "docs/guide.md"):
        (alice.path / rel).parent.mkdir(parents=True, exist_ok=True)
        (alice.path / rel).write_text(f"# {rel}\n")
    # The team's policy, committed: every check reads it from history, never from a
    # working tree. A short clock skew lets the lease scene below take seconds.
    (alice.path / "gitcoord.toml").write_text('[claims]\nclock_skew = "1s"\n')
    alice.run("git", "add", "-A", show=False)
    alice.run("git", "commit", "-q", "-m", "seed", show=False)
    alice.run("git", "push", "-q", "origin", "HEAD:main", show=False)
    for agent in (bob, carol):
        agent.run("git", "pull", "-q", "origin", "main", show=False)
    print("alice, bob and carol each have a clone (three agents, three working trees).")

    say("alice claims src/api.py before changing it: one atomic push creates the claim ref")
    alice.run("git", "claim", "src/api.py", "-r", "fix auth bug")

    say("bob wants the same file: the push is refused, and the refusal names the holder")
    bob.run("git", "claim", "src/api.py")

    say(
        "bob's agent harness asks before it edits: gitcoord guard answers Claude Code's "
        "PreToolUse hook with a denial, before a byte is written"
    )
    edited = str(bob.path / "src/api.py")
    payload = {
        "session_id": "bob-session-1",
        "cwd": str(bob.path),
        "hook_event_name": "PreToolUse",
        "tool_name": "Edit",
        "tool_input": {
            "file_path": edited,
            "old_string": "#",
            "new_string": "##",
        },
    }
    (root / "edit.json").write_text(json.dumps(payload))
    print(f"    (the payload: an Edit of {edited})")
    denied = bob.output("sh", "-c", f"gitcoord guard --harness claude < {root / 'edit.json'}")
    decision = json.loads(denied or "{}").get("hookSpecificOutput", {})
    guarded = decision.get("permissionDecision") == "deny"
    print(f"    permissionDecision: {decision.get('permissionDecision')}")
    for line in str(decision.get("permissionDecisionReason", "")).splitlines():
        print(f"    {line}")

    say("carol claims the whole docs/ directory; a claim on a file inside it is refused")
    carol.run("git", "claim", "docs/", "-r", "restructure docs")
    bob.run("git", "claim", "docs/guide.md")

    say("reading is shared: bob and alice may both hold read claims on src/db.py")
    bob.run("git", "claim", "-m", "read", "src/db.py")
    alice.run("git", "claim", "-m", "read", "src/db.py")
    carol.run("git", "claim", "src/db.py")

    say("everyone sees the same live claims (* marks mine)")
    bob.run("git", "claim")

    say("a race: five agents claim src/hot.py at the same instant; the remote picks one")
    racers = [Agent(f"racer-{i}", root, remote, env) for i in range(5)]
    procs = [(r, r.spawn("git", "claim", "src/hot.py")) for r in racers]
    winners = []
    for racer, proc in procs:
        proc.communicate()
        verdict = "won" if proc.returncode == 0 else f"refused (exit {proc.returncode})"
        if proc.returncode == 0:
            winners.append(racer.name)
        print(f"    {racer.name}: {verdict}")
    print(f"    winners: {len(winners)} ({', '.join(winners)})")

    say("alice commits her fix, pushes, and releases the claim recording the commit")
    (alice.path / "src/api.py").write_text("# src/api.py\n# auth fixed\n")
    alice.run("git", "commit", "-q", "-am", "Fix auth bug")
    alice.run("git", "push", "-q", "origin", "HEAD:main")
    alice.run("git", "claim", "-d", "src/api.py", "--commit", "HEAD")
    bob.run("git", "claim", "src/api.py", "-r", "add rate limiting")

    say(
        "leases expire: carol's 2-second claim on src/cache.py lapses (plus clock skew, "
        "counted from when bob first saw it: his clock need not agree with hers)"
    )
    carol.run("git", "claim", "src/cache.py", "--ttl", "2s")
    bob.run("git", "claim")
    time.sleep(3.5)
    took_over = bob.run("git", "claim", "src/cache.py", "-r", "carol went quiet") == 0
    say("carol's next renewal tells her the claim was lost, and to whom")
    told = carol.run("git", "claim", "--renew", "src/cache.py") != 0

    say("the audit trail on the remote records every claim, release, retraction and takeover")
    bob.run("gitcoord", "log", "-n", "14")

    print(f"\n{BOLD}Done.{RESET}")
    return 0 if len(winners) == 1 and took_over and told and guarded else 1


if __name__ == "__main__":
    sys.exit(main())
