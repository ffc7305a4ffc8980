"""What the server refuses: pure decisions over ref changes, claims and commits.

No git here: the hook (checks.py) reads the repository and passes in what it read, so each
rule is a function of its inputs. This module holds what the rules share (a Refusal, the
Pusher); the rules live in modules named for what they decide: claimrules.py (refs/claims/),
logrules.py (refs/claims-log/), branchrules.py (protected branches, claimed paths). Every
refusal names the ref, the cause (the holder, when there is one) and the command that
resolves it.
"""

from __future__ import annotations

from typing import NamedTuple

from gitcoord.core.claim import Claim, Holder
from gitcoord.server.refchange import BRANCHES as BRANCHES
from gitcoord.server.settings import ServerSettings

MAX_SHOWN = 5  # refusals listed per ref before "and N more"


class Refusal(NamedTuple):
    ref: str
    message: str
    fix: str

    def render(self, warning: bool = False) -> str:
        head = "warning (allowed: the check is in warn mode) for" if warning else "refused"
        return f"gitcoord: {head} {self.ref}: {self.message}\n  fix: {self.fix}"


class Pusher(NamedTuple):
    """Who pushes: an authenticated gitolite user (GL_USER), or nobody the server can name."""

    gl_user: str | None
    settings: ServerSettings

    def owns(self, agent: str) -> bool:
        return self.gl_user is None or self.settings.may_act_as(self.gl_user, agent)

    @property
    def admin(self) -> bool:
        return self.gl_user is not None and self.settings.is_admin(self.gl_user)

    def acting_as(self) -> str:
        agents = self.settings.agents_for(self.gl_user or "")
        return f"{self.gl_user} (may act as {', '.join(agents)})"


def describe(c: Claim, at: float, me: Holder | None = None) -> str:
    """core/wording.describe: `me` names a claim of its own other session as such."""
    from gitcoord.core.wording import describe  # deferred: only a refusal pays for it

    return describe(c, at, None, me)
