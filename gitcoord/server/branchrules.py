"""What the server refuses on branches: losing commits of a protected branch, a push that
unprotects one, and commits that change a path another holder (another agent, or another
session of the commit's agent) holds a live claim on."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence

from gitcoord.core.claim import Claim, Holder
from gitcoord.core.identity import release_from_here
from gitcoord.core.overlap import PathIndex
from gitcoord.core.textsafe import path_word, printable
from gitcoord.git.bare import CommitChanges
from gitcoord.policy.agents import Author, commit_author
from gitcoord.policy.sync import protected_by
from gitcoord.server.policy import BRANCHES, MAX_SHOWN, Pusher, Refusal, describe
from gitcoord.server.refchange import RefChange
from gitcoord.server.settings import ServerSettings


def protected(branch_ref: str, patterns: Iterable[str]) -> bool:
    """Whether a pushed ref is a branch that a pattern protects (policy/sync.protected_by,
    the pre-push hook's rule too)."""
    name = branch_ref[len(BRANCHES) :]
    return branch_ref.startswith(BRANCHES) and protected_by(name, patterns) is not None


def check_protected(
    changes: Sequence[RefChange],
    patterns: Sequence[str],
    is_ancestor: Callable[[str, str], bool],
) -> list[Refusal]:
    """Protected branches never lose commits: no deletion, no non-fast-forward."""
    refusals = []
    for ch in changes:
        if ch.creates or not protected(ch.ref, patterns):
            continue
        branch = ch.ref[len(BRANCHES) :]
        if ch.deletes:
            refusals.append(
                Refusal(
                    ch.ref,
                    f"{branch} is protected ([sync] protected); deleting it would drop its commits",
                    "keep the branch; a server admin unprotects an obsolete pattern with "
                    "`gitcoord server install REPO --unprotect PATTERN`",
                )
            )
        elif not is_ancestor(ch.old, ch.new):
            refusals.append(
                Refusal(
                    ch.ref,
                    f"{branch} is protected ([sync] protected); this push would drop commits the "
                    f"server has ({ch.old[:12]} is not in the new history), even with --force",
                    f"integrate first: `git pull --rebase origin {branch}`, then push again",
                )
            )
    return refusals


def enforced_protection(settings: ServerSettings, team_patterns: Sequence[str]) -> list[str]:
    """The protected patterns the server enforces: its own recorded list (which no push can
    change) together with `[sync] protected` of gitcoord.toml on the default branch."""
    return list(dict.fromkeys([*settings.protected, *team_patterns]))


def check_protection_kept(
    ref: str, before: Sequence[str], after: Sequence[str], recorded: Sequence[str], repo: str
) -> list[Refusal]:
    """A push may not drop from gitcoord.toml's [sync] protected a pattern the server itself
    records: the branch a pattern protects must not unprotect itself. An admin removes it
    from the server first."""
    dropped = [p for p in before if p not in after and p in recorded]
    if not dropped:
        return []
    names = ", ".join(repr(p) for p in dropped)
    flags = " ".join(f"--unprotect {shlex.quote(p)}" for p in dropped)
    return [
        Refusal(
            ref,
            f"this push removes {names} from [sync] protected in gitcoord.toml, but the server "
            "protects it (gitcoord.protected): a push cannot unprotect a branch",
            f"keep it in gitcoord.toml; or have a server admin run "
            f"`gitcoord server install {shlex.quote(repo)} {flags}`, then push again",
        )
    ]


Found = tuple[CommitChanges, str, Claim, Holder | None]  # commit, path, claim, own holder


def _claimed_refusal(ref: str, found: Sequence[Found], now: float) -> Refusal:
    """One refusal for every held path the pushed commits change; `own` is the commit's
    holder when the claim is its own other session's (named as such)."""
    lines = [
        f"commit {c.oid[:12]} changes {p}: {describe(claim, now, own)}"
        for c, p, claim, own in found[:MAX_SHOWN]
    ]
    if len(found) > MAX_SHOWN:
        lines.append(f"and {len(found) - MAX_SHOWN} more")
    foreign = [claim for _, _, claim, own in found if not own]
    head = "another agent holds" if foreign else "your other session holds"
    holder = foreign[0] if foreign else found[0][2]
    path, word = printable(str(holder.path)), path_word(str(holder.path))
    if foreign:
        fix = (
            f"ask {printable(holder.agent)} to release {path} (`git claim -d {word}`) or wait "
            f"for it (`git claim --wait {word}`), then push again"
        )
    else:
        fix = release_from_here(holder.session, path) + ", then push again"
    return Refusal(ref, f"changes paths {head}:\n    " + "\n    ".join(lines), fix)


def check_claimed_paths(
    ref: str,
    commits: Sequence[CommitChanges],
    live: Sequence[Claim],
    pusher: Pusher,
    now: float,
    emails: Mapping[str, str],
) -> list[Refusal]:
    """A pushed commit may not change a path another holder holds a live claim on. The
    commit's author is policy/agents.commit_author's (`emails`: the `[agents]` e-mail map of
    gitcoord.toml on the default branch); an authenticated pusher (GL_USER) may also push
    for the agents the server lets it act as, but not over a claim of another session
    named by the commit's own Gitcoord-Session trailer."""
    found: list[Found] = []
    holders = sorted({c.agent for c in live})
    index = PathIndex(live)
    for commit in commits:
        author: Author = commit_author(
            commit.agent_trailer, commit.session_trailer, commit.author_email, emails, holders
        )
        first: dict[int, str] = {}  # each claim's first path the commit changes under it
        for p in commit.paths:
            for i in index.covering(p):
                first.setdefault(i, p)
        for i in sorted(first):
            claim = live[i]
            own = Holder(author.agent, author.session or "")
            if author.other_session(claim):
                found.append((commit, first[i], claim, own))
            elif not (pusher.owns(claim.agent) if pusher.gl_user else author.holds(claim)):
                found.append((commit, first[i], claim, None))
    return [_claimed_refusal(ref, found, now)] if found else []
