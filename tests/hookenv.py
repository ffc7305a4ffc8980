"""A team repository with gitcoord adopted: config and rules committed, hooks installed in
every clone, rules acknowledged; and commits that run the hooks (unlike Agent.commit_file).

The hook tests use file:// only: what they check is decided locally from the snapshot, the
fetched claims and the pushed commits, the same over every transport (the transport tests
cover git://, http, ssh).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tests.gitenv import Agent, Result, clone, make_bare

# Tests see claim changes at once: the pre-commit hook fetches unless told otherwise.
BASE_CONFIG = '[claims]\nmax_age = "0s"\n'
RULES = (
    "# Rules\n\n1. Claim before you change: run `git claim PATH` first.\n"
    "2. Read the rules at the start of every session.\n"
)


def human_env(agent: Agent) -> dict[str, str]:
    """The same clone, driven by a human: no GITCOORD_AGENT."""
    return {k: v for k, v in agent.environ().items() if k != "GITCOORD_AGENT"}


def run_as_human(agent: Agent, *args: str) -> Result:
    import subprocess

    proc = subprocess.run(
        list(args),
        cwd=agent.path,
        env=human_env(agent),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def write(agent: Agent, rel: str, content: str) -> None:
    target = agent.path / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(content)


def commit(agent: Agent, message: str = "change", *files: tuple[str, str]) -> Result:
    """Write and stage `files` (path, content), then `git commit` WITH the hooks."""
    for rel, content in files:
        write(agent, rel, content)
        agent.git("add", "--", rel)
    return agent.run("git", "commit", "-q", "-m", message)


@dataclass
class Team:
    url: str
    tmp: Path
    env: dict[str, str]
    agents: dict[str, Agent] = field(default_factory=dict)

    def join(self, name: str, *, ack: bool = True, hooks: bool = True) -> Agent:
        agent = clone(self.url, self.tmp / "agents" / name, name, self.env)
        if hooks:
            res = agent.gitcoord("hooks", "install")
            assert res.rc == 0, res.err
        if ack:
            res = agent.gitcoord("rules", "--ack")
            assert res.rc == 0, res.err
        self.agents[name] = agent
        return agent


def make_team(
    tmp: Path, env: dict[str, str], config: str = BASE_CONFIG, files: dict[str, str] | None = None
) -> Team:
    """A bare remote whose main has gitcoord.toml, RULES.md and a few files (pushed without
    hooks: this is the repository's history before the test starts)."""
    bare = make_bare(tmp / "served" / "team.git", env)
    founder = clone(bare.as_uri(), tmp / "agents" / "founder", "founder", env)
    content = {
        "gitcoord.toml": config,
        "RULES.md": RULES,
        "src/api.py": "api\n",
        "src/db.py": "db\n",
        "docs/guide.md": "guide\n",
        "README.md": "readme\n",
        **(files or {}),
    }
    for rel, text in content.items():
        write(founder, rel, text)
    founder.git("add", "-A")
    founder.git("commit", "-q", "--no-verify", "-m", "seed")
    founder.git("push", "-q", "--no-verify", "origin", "HEAD:main")
    return Team(bare.as_uri(), tmp, env)
