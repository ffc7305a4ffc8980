"""Which branch a CI run would move: the deploy rule of `gitcoord ci` applies to it.

Read from the CI system's environment (a pull request's target, else the pushed branch),
else the checked-out branch; `gitcoord ci --target BRANCH` overrides both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# A merge queue's branch: gh-readonly-queue/<target>/pr-<number>-<head sha>.
_QUEUE = re.compile(r"gh-readonly-queue/(?P<target>.+)/pr-[0-9]+-[0-9a-f]{40,64}")


def ci_target(env: Mapping[str, str]) -> str | None:
    """The branch the CI system says this run would move, or None (no CI system known, a
    tag, nothing set).

    GitHub Actions: GITHUB_BASE_REF for pull_request events, the queue's target for a
    merge_group, else GITHUB_REF_NAME when GITHUB_REF_TYPE is a branch. GitLab CI:
    CI_MERGE_REQUEST_TARGET_BRANCH_NAME, else CI_COMMIT_BRANCH.
    """
    if env.get("GITHUB_ACTIONS") == "true":
        event = env.get("GITHUB_EVENT_NAME", "")
        if event.startswith("pull_request"):
            return env.get("GITHUB_BASE_REF") or None
        if env.get("GITHUB_REF_TYPE", "branch") != "branch":
            return None  # a tag moves no branch
        name = env.get("GITHUB_REF_NAME", "")
        queued = _QUEUE.fullmatch(name) if event == "merge_group" else None
        return (queued["target"] if queued else name) or None
    if env.get("GITLAB_CI") == "true":
        return env.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME") or env.get("CI_COMMIT_BRANCH") or None
    return None
