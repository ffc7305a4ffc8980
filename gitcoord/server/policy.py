"""What the server refuses: pure decisions over ref changes, claims and commits.

No git here: the hook (hook.py) reads the repository and passes in what it read, so each
rule is a function of its inputs. Every refusal names the ref, the cause (the holder, when
there is one) and the command that resolves it.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import NamedTuple

from gitcoord.core.claim import MAX_OBJECT_BYTES, Claim
from gitcoord.core.refnames import CLAIMS, LOG, log_ref
from gitcoord.git.objects import commit_message
from gitcoord.server.gitdata import (
    MAX_NEW_LOG_COMMITS,
    CommitChanges,
    ObjectInfo,
    shape_problem,
)
from gitcoord.server.refchange import RefChange
from gitcoord.server.settings import ServerSettings

BRANCHES = "refs/heads/"
MAX_SHOWN = 5  # refusals listed per ref before "and N more"


class Refusal(NamedTuple):
    ref: str
    message: str
    fix: str

    def render(self) -> str:
        return f"gitcoord: refused {self.ref}: {self.message}\n  fix: {self.fix}"


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


def describe(c: Claim, at: float) -> str:
    from gitcoord.core.wording import describe  # deferred: only a refusal pays for it

    return describe(c, at)


def _live(c: Claim | str | None, now: float, skew: float) -> Claim | None:
    return c if isinstance(c, Claim) and not c.is_expired(now, skew) else None


def claims_after(
    changes: Sequence[RefChange],
    current: dict[str, Claim | str],
    pushed: dict[str, Claim | str],
) -> dict[str, Claim]:
    """The valid claims once `changes` are applied (invalid pushed objects left out)."""
    after = {ref: c for ref, c in current.items() if isinstance(c, Claim)}
    for ch in changes:
        if ch.ref.startswith(CLAIMS):
            after.pop(ch.ref, None)
            new = None if ch.deletes else pushed.get(ch.ref)
            if isinstance(new, Claim):
                after[ch.ref] = new
    return after


def check_claims(
    changes: Sequence[RefChange],
    current: dict[str, Claim | str],
    pushed: dict[str, Claim | str],
    pusher: Pusher,
    now: float,
    skew: float,
) -> list[Refusal]:
    """Refusals for changes under refs/claims/; `pushed` holds the claims at the new OIDs."""
    refusals: list[Refusal] = []
    after = claims_after(changes, current, pushed)
    written: list[Claim] = []
    for ch in changes:
        if not ch.ref.startswith(CLAIMS):
            continue
        held = _live(current.get(ch.ref), now, skew)
        if ch.deletes:
            if held and not pusher.owns(held.agent) and not pusher.admin:
                refusals.append(
                    Refusal(
                        ch.ref,
                        f"breaking {held.agent}'s live claim on {held.path} needs a server "
                        f"admin; you are {pusher.acting_as()}",
                        f"ask {held.agent} to release it (`git claim -d {held.path}`), or ask "
                        "an admin listed in the server's `gitcoord.admin` to break it",
                    )
                )
            continue
        claim = pushed.get(ch.ref, "its object is missing")
        if isinstance(claim, str):
            refusals.append(
                Refusal(
                    ch.ref,
                    f"not a valid claim: {claim}",
                    "write claims only with `git claim`; delete a stray ref with "
                    f"`git push origin :{ch.ref}`",
                )
            )
            continue
        if not pusher.owns(claim.agent):
            refusals.append(
                Refusal(
                    ch.ref,
                    f"a claim on {claim.path} in the name of {claim.agent}, but you are "
                    f"{pusher.acting_as()}",
                    "claim under your own name (GITCOORD_AGENT / git config gitcoord.agent), "
                    "or ask the server admin to map it: "
                    f"`git config --add gitcoord.usermap '{pusher.gl_user} {claim.agent}'`",
                )
            )
        elif held and held.holder != claim.holder and not pusher.admin:
            refusals.append(
                Refusal(
                    ch.ref,
                    f"would replace a live claim: {describe(held, now)}",
                    f"wait for it: `git claim --wait {claim.path}`, or break it first: "
                    f"`git claim --break {claim.path} -r REASON`",
                )
            )
        else:
            written.append(claim)
    for claim in written:
        if claim.is_expired(now, skew):
            continue
        rivals = [
            o
            for o in after.values()
            if o.ref != claim.ref and not o.is_expired(now, skew) and claim.conflicts_with(o)
        ]
        if rivals:
            refusals.append(
                Refusal(
                    claim.ref,
                    f"{claim.mode.value} claim on {claim.path} by {claim.agent} conflicts: "
                    + "; ".join(describe(o, now) for o in rivals[:MAX_SHOWN]),
                    f"wait for it: `git claim --wait {claim.path}`; or ask {rivals[0].agent} "
                    f"to release it (`git claim -d {rivals[0].path}`)",
                )
            )
    return refusals


def check_logs(
    changes: Sequence[RefChange],
    new_commits: Mapping[str, Sequence[str]],
    infos: dict[str, ObjectInfo],
    raw: dict[str, bytes],
    pusher: Pusher,
    is_ancestor: Callable[[str, str], bool],
) -> list[Refusal]:
    """refs/claims-log/ holds append-only chains of audit commits.

    `new_commits`: per log ref, every commit the push brings that no server ref reaches yet
    (newest first, at most MAX_NEW_LOG_COMMITS + 1): each one, not only the tip, must be a
    small log entry with the empty tree and at most one parent, since every agent's
    `gitcoord log` downloads and parses the whole chain."""
    refusals: list[Refusal] = []
    fix = "append to the log only through `git claim`; an admin may rewrite it on the server"
    for ch in changes:
        if not ch.ref.startswith(LOG):
            continue
        if ch.deletes or (not ch.creates and not is_ancestor(ch.old, ch.new)):
            if not pusher.admin:
                what = "delete" if ch.deletes else "rewrite"
                refusals.append(Refusal(ch.ref, f"the audit log is append-only ({what})", fix))
            continue
        info = infos.get(ch.new)
        if info is None or info.type != "commit":
            problem = "missing" if info is None else f"a {info.type}"
            refusals.append(Refusal(ch.ref, f"the log tip is {problem}, not a log commit", fix))
            continue
        oids = list(new_commits.get(ch.ref, ()))
        if len(oids) > MAX_NEW_LOG_COMMITS:
            refusals.append(
                Refusal(
                    ch.ref,
                    f"the push brings more than {MAX_NEW_LOG_COMMITS} new log entries",
                    "push the log in smaller steps; an admin may import a long log on the server",
                )
            )
            continue
        for oid in oids:
            why = _log_entry_problem(ch.ref, oid, infos.get(oid), raw.get(oid), pusher)
            if why is not None:
                what = "the log tip" if oid == ch.new else f"log commit {oid[:12]}"
                refusals.append(Refusal(ch.ref, f"{what} {why}", fix))
                break
    return refusals


def _log_entry_problem(
    ref: str, oid: str, info: ObjectInfo | None, raw: bytes | None, pusher: Pusher
) -> str | None:
    """Why one pushed commit is not a valid entry of the log at `ref`; None if it is."""
    if info is not None and (info.type != "commit" or info.size > MAX_OBJECT_BYTES):
        limit = MAX_OBJECT_BYTES
        return f"is a {info.type} of {info.size} bytes, not a log commit (at most {limit})"
    if info is None or raw is None:
        return "is missing"
    from gitcoord.store.audit import parse_entry  # deferred: only log pushes need it

    try:
        entry = parse_entry(oid, commit_message(raw).decode("utf-8", "replace"))
    except Exception as exc:  # hostile content refuses the object, never crashes the hook
        return f"is not a gitcoord log entry (cannot be parsed: {type(exc).__name__})"
    if entry is None:
        return "is not a gitcoord log entry"
    shape = shape_problem(raw, max_parents=1)
    if shape is not None:
        return f"is not a log entry: {shape}"
    if pusher.gl_user is not None and (not pusher.owns(entry.agent) or log_ref(entry.agent) != ref):
        return f"is a log entry by {entry.agent} at this ref, but you are {pusher.acting_as()}"
    return None


def protected(branch_ref: str, patterns: Iterable[str]) -> bool:
    name = branch_ref[len(BRANCHES) :]
    return branch_ref.startswith(BRANCHES) and any(fnmatchcase(name, p) for p in patterns)


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


def commit_agent(commit: CommitChanges) -> str:
    return commit.agent_trailer or commit.author_email


def check_claimed_paths(
    ref: str,
    commits: Sequence[CommitChanges],
    live: Sequence[Claim],
    pusher: Pusher,
    now: float,
) -> list[Refusal]:
    """A pushed commit may not change a path that another agent holds a live claim on."""
    found: list[tuple[CommitChanges, str, Claim]] = []
    for commit in commits:
        agent = commit_agent(commit)
        for claim in live:
            mine = pusher.owns(claim.agent) if pusher.gl_user else claim.agent == agent
            if mine:
                continue
            path = next((p for p in commit.paths if claim.path.covers(p)), None)
            if path is not None:
                found.append((commit, path, claim))
    if not found:
        return []
    lines = [
        f"commit {c.oid[:12]} changes {p}: {describe(claim, now)}"
        for c, p, claim in found[:MAX_SHOWN]
    ]
    if len(found) > MAX_SHOWN:
        lines.append(f"and {len(found) - MAX_SHOWN} more")
    _, path, holder = found[0]
    return [
        Refusal(
            ref,
            "changes paths another agent holds:\n    " + "\n    ".join(lines),
            f"ask {holder.agent} to release {holder.path} (`git claim -d {holder.path}`) or wait "
            f"for it (`git claim --wait {holder.path}`), then push again",
        )
    ]
