"""The base branch for the freshness check (policy/freshness.py): which ref of which remote
it is, where a fetch puts it, and what it has that HEAD lacks.

The base lives on the code remote (`[remote] name`). When claims live there too (no
separate `[remote] url`), its refspec rides in a claim's own fetch: freshness costs no
round trip. A remote without the base (an empty repository, a misspelt `[remote] base`)
leaves the refspec out of that fetch (git/fetching.fetch), and the check has nothing to say.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, NamedTuple

from gitcoord.core import refnames
from gitcoord.core.change import CommitPaths
from gitcoord.core.config import Config
from gitcoord.core.errors import CannotVerify
from gitcoord.git.baselog import commits_ahead
from gitcoord.git.fetching import MIRROR_LOCK, fetch
from gitcoord.git.repo import Repo

if TYPE_CHECKING:  # the names are needed only when there is something to report
    from gitcoord.policy.freshness import Base

# The base's commits that HEAD lacks, read at most: a clone this far behind is told that
# much, and the check stays one short `git log` however far behind it is.
MAX_COMMITS = 500


class BaseRef(NamedTuple):
    remote: str  # the code remote: [remote] name
    branch: str | None  # [remote] base; None: whatever the remote's HEAD names
    rides: bool  # claims live on this remote, so the base rides in their fetch

    @property
    def local(self) -> str:
        """Where it is fetched to: a private ref (refs/remotes/ is the user's git fetch's)."""
        return refnames.mirror_prefix(self.remote) + "fresh-base"

    @property
    def refspec(self) -> str:
        return f"+{'refs/heads/' + self.branch if self.branch else 'HEAD'}:{self.local}"


def base_ref(config: Config) -> BaseRef:
    remote = config.remote
    return BaseRef(remote.name, remote.base, rides=not remote.url)


def fetch_base(repo: Repo, config: Config, base: BaseRef) -> None:
    """Fetch the base alone: before a push (enforce), or from a code remote that is not the
    coordination remote. Raises CannotVerify when the remote cannot be reached."""
    lock = repo.state_dir / MIRROR_LOCK
    fetch(str(repo.toplevel), base.remote, [base.refspec], None, lock, config.remote.timeout)


def ahead(repo: Repo, base: BaseRef) -> list[CommitPaths] | None:
    """The fetched base's commits that HEAD lacks, newest first, at most MAX_COMMITS + 1
    (one more says there are more); None when there is no base or no HEAD to compare."""
    return commits_ahead(str(repo.toplevel), base.local, MAX_COMMITS + 1)


def describe(repo: Repo, config: Config, base: BaseRef, partial: bool) -> Base:
    """How messages name the base, and the command that rebases onto it. The remote's HEAD
    is named as this clone last saw it, else as the remote says now (a round trip only
    when there is something to report)."""
    from gitcoord.git.branches import remote_default_branch, tracked_default_branch
    from gitcoord.policy.freshness import Base

    cwd = str(repo.toplevel)
    branch = base.branch or tracked_default_branch(cwd, base.remote)
    if branch is None:
        with contextlib.suppress(CannotVerify):
            branch = remote_default_branch(cwd, base.remote, config.remote.timeout)
    if branch is None:
        return Base(f"{base.remote}'s HEAD", f"git pull --rebase {base.remote} HEAD", partial)
    return Base(f"{base.remote}/{branch}", f"git pull --rebase {base.remote} {branch}", partial)
