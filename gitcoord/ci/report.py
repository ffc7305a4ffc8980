"""What `gitcoord ci` found, and how it is shown: GitHub Actions workflow commands under
GITHUB_ACTIONS=true, the hooks' plain lines elsewhere, JSON with --json."""

from __future__ import annotations

from typing import Any, NamedTuple

from gitcoord.policy.decisions import Finding


class CiFinding(NamedTuple):
    finding: Finding
    commit: str | None = None
    agent: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {**self.finding.to_json(), "commit": self.commit, "agent": self.agent}


class Deploy(NamedTuple):
    """The run's target is a deploy branch: the pattern naming it, the base it must hold and
    how far behind that base's tip the checked commit is."""

    pattern: str
    base: str
    behind: int


class Report(NamedTuple):
    remote: str
    base: str
    range: str
    behind: int
    commits: int
    findings: list[CiFinding]
    target: str | None = None  # the branch the run would move
    deploy: Deploy | None = None

    def count(self, mode: str) -> int:
        return sum(1 for f in self.findings if f.finding.mode == mode)

    @property
    def passed(self) -> bool:
        return self.count("enforce") == 0

    def summary(self) -> str:
        verdict = "passed" if self.passed else "failed"
        return (
            f"gitcoord ci: {verdict}: {self.commits} commit(s) in {self.range} checked against "
            f"{self.remote}/{self.base}: {self.count('enforce')} refused, "
            f"{self.count('warn')} warning(s)"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "remote": self.remote,
            "base": self.base,
            "range": self.range,
            "behind": self.behind,
            "commits": self.commits,
            "target": self.target,
            "deploy": self.deploy._asdict() if self.deploy else None,
            "findings": [f.to_json() for f in self.findings],
            "summary": {
                "passed": self.passed,
                "enforce": self.count("enforce"),
                "warn": self.count("warn"),
                "monitor": self.count("monitor"),
            },
        }


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(cf: CiFinding) -> str | None:
    """A GitHub Actions workflow command (`::error file=…,title=…::message`), or None for a
    monitor-mode finding (recorded in --json only)."""
    f = cf.finding
    if f.mode not in ("warn", "enforce"):
        return None
    level = "error" if f.blocking else "warning"
    props = f"title={_gh_prop('gitcoord ' + f.check)}"
    if f.check != "sync":  # a sync finding names a branch, not a file
        props = f"file={_gh_prop(f.path)},{props}"
    text = f"{f.message}\nwhy: {f.reason}\nfix: {f.fix}"
    return f"::{level} {props}::{_gh_data(text)}"


def plain_lines(report: Report, github: bool) -> list[str]:
    lines = []
    for cf in report.findings:
        if cf.finding.mode in ("warn", "enforce"):
            line = github_annotation(cf) if github else cf.finding.render()
            if line:
                lines.append(line)
    lines.append(report.summary())
    return lines
