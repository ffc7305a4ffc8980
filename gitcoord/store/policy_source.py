"""The policy in force in a clone: gitcoord.toml and the rules file as committed, never as
they are in the working tree.

Every layer decides with the policy of a commit, so no uncommitted edit changes a decision
and a branch cannot switch its own checks off. In a clone (the hooks and every command)
that commit is the base tip as last fetched (`refs/remotes/REMOTE/BASE`) when it has a
gitcoord.toml: a policy change takes effect once it lands on the base, not for the commit
that carries it, nor for the commits after it on an unlanded branch. Else it is HEAD (a
branch adopting gitcoord, a clone that never fetched), else the defaults. Where the base
is, is read from HEAD's gitcoord.toml (`[remote] name` and `base`), else the remote's HEAD.
`gitcoord ci` reads the base tip it fetched itself (`policy_at`); the server reads its own
branches (server/gitdata.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from gitcoord.core.config import CONFIG_FILE, MAX_POLICY_BYTES, Config, parse_config
from gitcoord.core.errors import ConfigError
from gitcoord.git.history import files_at
from gitcoord.store.localstate import rules_hash

DEFAULT_RULES = Config().rules_file


class Policy(NamedTuple):
    config: Config
    rules: bytes | None  # the rules file's content at the same commit; None: there is none
    source: str  # the revision it was read from ("origin/main", "HEAD"); "" for the defaults
    text: bytes | None = None  # gitcoord.toml as committed there

    @property
    def rules_hash(self) -> str | None:
        return rules_hash(self.rules) if self.rules is not None else None

    def describe(self) -> str:
        """Where the policy in force comes from, for status lines and messages."""
        if not self.source:
            return "the defaults (no commit has a gitcoord.toml)"
        return f"{CONFIG_FILE} at {self.source}"

    def differs_from(self, toplevel: Path) -> bool:
        """Whether the working tree's gitcoord.toml is not the one in force (an edit that
        changes nothing until it lands)."""
        try:
            on_disk: bytes | None = (toplevel / CONFIG_FILE).read_bytes()
        except OSError:
            on_disk = None
        return on_disk != self.text


def _name(rev: str, path: str) -> str:
    return f"{rev}:{path.lstrip('/')}"


class _Files:
    """Files of commits, read in batches; remembers what was asked, so a missing file is
    not asked again."""

    def __init__(self, cwd: str) -> None:
        self.cwd = cwd
        self.asked: set[str] = set()
        self.found: dict[str, bytes | None] = {}

    def read(self, *names: str) -> None:
        new = [n for n in names if n not in self.asked]
        if new:
            self.asked.update(new)
            self.found.update(files_at(self.cwd, new, MAX_POLICY_BYTES))

    def get(self, rev: str, path: str) -> bytes | None:
        """The file, read now if it was not asked yet; None when `rev` has no such file.
        A file too large to be a policy file is an error, not an absent file."""
        name = _name(rev, path)
        self.read(name)
        if name in self.found and self.found[name] is None:
            raise ConfigError(
                f"{path} at {_label(rev)} is not a file of at most {MAX_POLICY_BYTES} bytes",
                fix=f"replace {path} on that branch with a smaller file",
            )
        return self.found.get(name)

    def policy(self, rev: str) -> Policy | None:
        """The policy `rev` holds, or None when it has no gitcoord.toml."""
        text = self.get(rev, CONFIG_FILE)
        if text is None:
            return None
        source = _label(rev)
        try:
            config = parse_config(text.decode("utf-8", "replace"))
        except ConfigError as exc:
            raise ConfigError(
                f"{exc.message} (as committed at {source}, the policy in force)",
                fix=f"fix {CONFIG_FILE} in a commit and land it on {source}",
            ) from None
        config = config._replace(source=source)
        return Policy(config, self.get(rev, config.rules_file), source, text)


def _label(rev: str) -> str:
    return rev.removeprefix("refs/remotes/")


def _base_ref(config: Config) -> str:
    return f"refs/remotes/{config.remote.name}/{config.remote.base or 'HEAD'}"


def policy_at(cwd: str, rev: str) -> Policy | None:
    """The policy one commit holds, or None when it has no gitcoord.toml."""
    files = _Files(cwd)
    files.read(_name(rev, CONFIG_FILE), _name(rev, DEFAULT_RULES))
    return files.policy(rev)


# Where the base is is never read from HEAD, the branch under check (`base = "my-branch"`
# would make it its own policy): the search starts at origin's default branch as last
# fetched (a clone of an empty remote has no origin/HEAD: then main, master), and follows
# the `[remote] name` and `base` of the policy found there.
ORIGIN_BASES = (
    "refs/remotes/origin/HEAD",
    "refs/remotes/origin/main",
    "refs/remotes/origin/master",
)


def load_policy(toplevel: Path) -> Policy:
    """The policy in force for this clone (the module's docstring says which commit's)."""
    files = _Files(str(toplevel))
    # One batch for the common cases: HEAD and origin's candidates, with the default rules.
    files.read(
        *(_name(r, p) for r in ("HEAD", *ORIGIN_BASES) for p in (CONFIG_FILE, DEFAULT_RULES))
    )
    for start in ORIGIN_BASES:
        based = files.policy(start)
        if based is not None:
            return _followed(files, start, based)
    head = files.policy("HEAD")  # no base has a policy yet: a branch adopting gitcoord
    if head is None:
        return Policy(Config(), None, "")
    return _followed(files, "HEAD", head)


def _followed(files: _Files, rev: str, found: Policy) -> Policy:
    """The policy at the base `found` names (another remote or branch), when that has one."""
    named = _base_ref(found.config)
    if named == rev or named in ORIGIN_BASES[:1]:
        return found
    return files.policy(named) or found
