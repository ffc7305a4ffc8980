"""`gitcoord ci`: the layer `--no-verify` cannot skip. Fetches, then checks a commit range."""

from __future__ import annotations

import os
import socket
import sys
from typing import Annotated

import typer

from gitcoord.ci.commits import RangeInput, check_range
from gitcoord.ci.landing import landed_since, pushed_before, release_landed
from gitcoord.ci.report import Report, plain_lines
from gitcoord.ci.target import ci_target
from gitcoord.cli.context import emit_json
from gitcoord.core import timeutil
from gitcoord.core.config import Config, RemoteConfig
from gitcoord.core.errors import GitcoordError, UsageError
from gitcoord.core.identity import Identity
from gitcoord.core.textsafe import printable
from gitcoord.git.branches import current_branch
from gitcoord.git.history import count_commits, is_shallow, merge_base, resolve_commit
from gitcoord.git.repo import Repo
from gitcoord.policy.decisions import PushCheck, deploy_pattern
from gitcoord.protocol.session import Session
from gitcoord.store import localstate
from gitcoord.store.approvals import fetch_approvals
from gitcoord.store.claimstore import ClaimStore
from gitcoord.store.policy_source import Policy, policy_at
from gitcoord.store.sync import base_branch, fetch_branch


def _commit(cwd: str, rev: str) -> str:
    oid = resolve_commit(cwd, rev)
    if oid is None:
        raise UsageError(
            f"{rev!r} is not a commit in this repository",
            fix="git fetch (CI: check out with full history, fetch-depth: 0)",
        )
    return oid


def _strip_base(base: str, remote: str) -> str:
    for prefix in ("refs/heads/", f"refs/remotes/{remote}/", f"{remote}/"):
        if base.startswith(prefix):
            return base[len(prefix) :]
    return base


def ci_command(
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            help="The base branch on the remote (default: [remote] base).",
            metavar="BRANCH",
        ),
    ] = None,
    range_: Annotated[
        str | None,
        typer.Option(
            "--range",
            help="Commits to check, A..B (default: merge-base..HEAD).",
            metavar="A..B",
        ),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            help="The branch this run would move (default: the pull or merge request's "
            "target, else the pushed branch, from GitHub Actions' or GitLab CI's variables; "
            "else the current branch). When [sync] deploy names it, the commit checked must "
            "contain the base tip.",
            metavar="BRANCH",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> int:
    """Check the commits of a branch as the hooks would have: claims, require, rules
    acknowledgements, guards and approvals, roles, and how far behind the base it is.

    Fetches claims, approvals and the base branch first; the policy (gitcoord.toml, the
    rules file) is the base's. A run that would move a [sync] deploy branch (--target)
    fails unless the commit contains the base tip. Exit 1 when a check in enforce mode
    fails, 3 when the remote cannot be reached. Under GITHUB_ACTIONS=true findings are
    printed as annotations.

    \b
    Examples:
      gitcoord ci
      gitcoord ci --base main --json
      gitcoord ci --range origin/main..HEAD
      gitcoord ci --target release/1
    """
    repo = Repo.discover()
    cwd = str(repo.toplevel)
    _refuse_shallow(cwd)
    config, rules_text, base_name, tip = _fetch_base(repo, base)
    remote = config.remote.name
    # CI has no agent identity of its own (and often no user.email): it reads claims.
    me = Identity("gitcoord-ci", socket.gethostname(), cwd, "ci")
    store = ClaimStore(repo, config, me)
    listing = store.fetch_listing()
    approvals = fetch_approvals(store) if config.checks.get("guards") != "off" else []
    old, new = _commits_to_check(cwd, range_, tip)
    target_name = _target(cwd, target)
    now = timeutil.now()
    report = check_range(
        RangeInput(
            cwd=cwd,
            config=config,
            remote=remote,
            base=base_name,
            old=old,
            new=new,
            behind=count_commits(cwd, tip, "^" + new),
            claims=listing.live(now, config.claims.clock_skew),
            approvals=approvals,
            now=now,
            citations=localstate.citations(config.rules_file, rules_text),
            base_rules=localstate.rules_hash(rules_text) if rules_text is not None else None,
            target=target_name,
            deploy=_deploy_check(cwd, config, (base_name, tip), new, target_name),
        )
    )
    _release_on_land(Session(store, config, me), (base_name, tip), new, target_name, range_)
    return _emit(report, as_json)


def _release_on_land(
    session: Session, base: tuple[str, str], new: str, target: str | None, range_: str | None
) -> None:
    """When this run checks the base tip itself and `[claims] release_on_land` is on:
    release the claims its update landed (ci/landing.py)."""
    base_name, tip = base
    cwd = session.store.cwd
    if not session.config.claims.release_on_land or target != base_name:
        return
    if new != _commit(cwd, tip):
        return
    start = range_.partition("..")[0] if range_ else None
    _release_landed(session, cwd, (start, pushed_before(os.environ)), new, base_name)


def _release_landed(
    session: Session,
    cwd: str,
    candidates: tuple[str | None, str | None],
    tip: str,
    branch: str,
) -> None:
    """Told on stderr; a failure to release does not fail the run."""
    old = landed_since(cwd, tip, list(candidates))
    try:
        released = release_landed(session, cwd, old, tip, branch)
    except GitcoordError as exc:
        print(
            f"gitcoord ci: warning: could not release landed claims: {exc.message}", file=sys.stderr
        )
        return
    for r in released:
        for c in r.claims:
            print(
                f"gitcoord ci: released {printable(c.agent)}'s {c.mode.value} claim on "
                f"{printable(str(c.path))}: its work landed in {r.commit[:12]}",
                file=sys.stderr,
            )


def _target(cwd: str, option: str | None) -> str | None:
    """--target, else what the CI system says (ci/target.py), else the current branch."""
    if option is None:
        return ci_target(os.environ) or current_branch(cwd)
    name = option.removeprefix("refs/heads/")
    if not name:
        raise UsageError("--target needs a branch name", fix="gitcoord ci --target release/1")
    return name


def _deploy_check(
    cwd: str, config: Config, fetched: tuple[str, str], new: str, target: str | None
) -> PushCheck | None:
    """When `target` is a deploy branch: how many commits of the base tip `new` lacks. The
    base is the one pre-push uses ([remote] base, else the remote's HEAD), not --base: a
    pull request into release/1 runs with --base release/1."""
    if target is None or deploy_pattern(target, config) is None:
        return None
    base = base_branch(cwd, config)
    if base == target:
        return None  # moving the base is never refused by this rule
    remote = config.remote.name
    fetched_base, fetched_tip = fetched
    tip = (
        fetched_tip
        if base == fetched_base
        else fetch_branch(cwd, remote, base, config.remote.timeout)
    )
    return PushCheck(target, remote, 0, base=base, behind=count_commits(cwd, tip, "^" + new))


def _fetch_base(repo: Repo, base: str | None) -> tuple[Config, bytes | None, str, str]:
    """The policy in force (the base tip's), the base branch's name and its fetched tip.

    Where the base is never comes from the branch under check: `--base`, else the remote's
    default branch, then the `[remote] base` of the policy found there (a branch that set
    `base` to itself would otherwise be judged by its own policy)."""
    cwd = str(repo.toplevel)
    head = policy_at(cwd, "HEAD")
    remote = head.config.remote.name if head else Config().remote.name
    timeout = head.config.remote.timeout if head else Config().remote.timeout
    start = RemoteConfig(name=remote, timeout=timeout)
    base_name = _strip_base(base, remote) if base else base_branch(cwd, Config(remote=start))
    tip = fetch_branch(cwd, remote, base_name, timeout)
    in_force = policy_at(cwd, tip)
    named = in_force.config.remote.base if in_force else None
    if in_force is not None and not base and named and named != base_name:
        base_name = named
        tip = fetch_branch(cwd, remote, base_name, in_force.config.remote.timeout)
        in_force = policy_at(cwd, tip) or in_force
    if in_force is None:
        # The branch that adopts gitcoord: its own settings, but no policy is in force on
        # the base yet, so none is protected (its first gitcoord.toml needs no approval).
        in_force = Policy(head.config._replace(source=None), head.rules, "") if head else None
    in_force = in_force or Policy(Config(), None, "")
    config, rules_text = in_force.config, in_force.rules
    if config.remote.name != remote:
        tip = fetch_branch(cwd, config.remote.name, base_name, config.remote.timeout)
    return config, rules_text, base_name, tip


def _emit(report: Report, as_json: bool) -> int:
    if as_json:
        emit_json(report.to_json())
    else:
        github = os.environ.get("GITHUB_ACTIONS") == "true"
        print("\n".join(plain_lines(report, github)), flush=True)
    return 0 if report.passed else 1


def _refuse_shallow(cwd: str) -> None:
    if is_shallow(cwd):  # the merge-base and the commits to check may be missing
        raise UsageError(
            "this is a shallow clone: gitcoord ci needs the branch's full history",
            fix='git fetch --unshallow   (GitHub: fetch-depth: 0; GitLab: GIT_DEPTH: "0")',
        )


def _commits_to_check(cwd: str, range_: str | None, tip: str) -> tuple[str | None, str]:
    """(old, new) of --range A..B, else (merge-base with the base tip, HEAD); old is None
    when there is no common history: every commit is checked."""
    if range_:
        old_rev, sep, new_rev = range_.partition("..")
        if not sep or new_rev.startswith(".") or not old_rev or not new_rev:
            raise UsageError(f"--range {range_!r} is not A..B", fix="gitcoord ci --range A..B")
        return _commit(cwd, old_rev), _commit(cwd, new_rev)
    new = _commit(cwd, "HEAD")
    return merge_base(cwd, tip, new), new
