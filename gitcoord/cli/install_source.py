"""Where the running gitcoord was installed from, as a requirement `pip install` takes, so the
CI job `gitcoord init --ci` writes installs this gitcoord rather than whatever an index
calls "gitcoord".

pip records the source of a direct install in the distribution's `direct_url.json` (PEP 610);
an install from an index has none, and its version pins it. A local directory or a file on
this machine is no source a CI runner can use: the requirement is then unknown, or (a git
repository on this disk) known but to be edited, and `warning` says which and why.
"""

from __future__ import annotations

import json
from importlib import metadata
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

EXAMPLE = '"gitcoord @ git+https://github.com/OWNER/gitcoord.git@COMMIT"'


class InstallSource(NamedTuple):
    requirement: str | None  # None: CI cannot install from where this gitcoord came from
    warning: str | None  # why the user must edit the CI job's install line


def install_source(name: str = "gitcoord") -> InstallSource:
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return unknown("this gitcoord is not installed as a package (it runs from source)")
    raw = dist.read_text("direct_url.json")
    if raw is None:
        return InstallSource(f"{name}=={dist.version}", None)  # from an index
    try:
        return from_direct_url(name, json.loads(raw))
    except (ValueError, KeyError, TypeError, AttributeError):
        return unknown(f"this gitcoord's direct_url.json cannot be read: {raw!r}")


def from_direct_url(name: str, data: dict[str, Any]) -> InstallSource:
    url = str(data["url"])
    local = urlsplit(url).scheme == "file"
    here = unquote(urlsplit(url).path) if local else url
    if "vcs_info" in data:
        vcs = data["vcs_info"]
        requirement = f"{name} @ {vcs['vcs']}+{url}@{vcs['commit_id']}"
        if local:
            return InstallSource(
                requirement,
                f"gitcoord was installed from the repository {here} on this machine, which CI "
                "cannot clone: replace its URL with one CI can reach (the commit stays)",
            )
        return InstallSource(requirement, None)
    if "dir_info" in data:
        editable = " (editable)" if data["dir_info"].get("editable") else ""
        return unknown(f"gitcoord was installed from the local directory {here}{editable}")
    if local:
        return unknown(f"gitcoord was installed from the file {here}")
    digest = data.get("archive_info", {}).get("hashes", {}).get("sha256")
    return InstallSource(f"{name} @ {url}" + (f"#sha256={digest}" if digest else ""), None)


def unknown(why: str) -> InstallSource:
    return InstallSource(
        None, f"{why}, which CI cannot install from; write what CI should install, e.g. {EXAMPLE}"
    )
