"""Small JSON files in `<git-common-dir>/gitcoord/` that hooks read: rules acknowledgements,
approvals, and the findings log. Standard library only, so the hook path stays cheap.

    acks.json        {"<agent>": {"file": "RULES.md", "hash": "...", "at": "<iso>"}}
    approvals.json   [{"patch_id": "...", "approver": "...", "paths": [...], "at": "<iso>"}]
                     (core/approvals.py: the one approval format)
    findings.log     one JSON object per line: every finding of every hook run, any mode
                     (this is where `monitor` mode records without printing)
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitcoord.core import timeutil
from gitcoord.core.approvals import Approval, approval_from_fields
from gitcoord.core.atomicfile import write_atomic

if TYPE_CHECKING:  # the commit-msg hook reads the rules hash without the policy core
    from gitcoord.policy.decisions import Finding

ACKS = "acks.json"
APPROVALS = "approvals.json"
FINDINGS_LOG = "findings.log"


def _read(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except Exception:  # (RecursionError too) a damaged file means "nothing recorded"
        return default


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(data, indent=1, sort_keys=True).encode("utf-8"))


# -- the rules file ---------------------------------------------------------------------


def rules_hash(content: bytes) -> str:
    """The content hash an acknowledgement is bound to (and the Gitcoord-Rules trailer)."""
    from hashlib import sha256  # only when there is a rules file to hash

    return "sha256:" + sha256(content).hexdigest()[:16]


def read_rules(toplevel: Path, rules_file: str) -> tuple[bytes | None, str | None]:
    try:
        content = (toplevel / rules_file).read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None, None
    return content, rules_hash(content)


# A line of the rules file that states the rule a check enforces (cited in refusals).
_CITE = {
    "claims": r"claim before",
    "sync": r"sync before",
    "rules": r"read the rules",
    "guards": r"guard|approv",
    "roles": r"\brole",
}


MAX_CITATION = 400  # characters: a longer paragraph is cited by its sentence of the rule
_ITEM_START = re.compile(r"\s*(?:[-*+]|\d+[.)])\s|\s*#|\s*<!--")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def citations(rules_file: str, content: bytes | None) -> dict[str, str]:
    """check -> "FILE:LINE: text" for the rules-file paragraph (or list item) that states
    the check's rule, joined onto one line: a rule that wraps is cited whole, not cut at
    the line break. LINE is where the paragraph starts."""
    if content is None:
        return {}
    out: dict[str, str] = {}
    lines = content.decode("utf-8", "replace").splitlines()
    for check, pattern in _CITE.items():
        for number, line in enumerate(lines):
            if re.search(pattern, line, re.I) and not line.lstrip().startswith("<!--"):
                start, text = _paragraph(lines, number)
                out[check] = f"{rules_file}:{start + 1}: {_cited(text, pattern)}"
                break
    return out


def _paragraph(lines: list[str], at: int) -> tuple[int, str]:
    """The paragraph or list item holding line `at`: its first line's index and its text,
    markup dropped, on one line."""
    start = at
    while start > 0 and not _ITEM_START.match(lines[start]):
        above = lines[start - 1]
        if not above.strip() or above.lstrip().startswith(("#", "<!--")):
            break
        start -= 1
    end = at + 1
    while end < len(lines) and lines[end].strip() and not _ITEM_START.match(lines[end]):
        end += 1
    first = lines[start].replace("**", "").strip().lstrip("#-*+0123456789.) ").strip()
    rest = (ln.replace("**", "").strip() for ln in lines[start + 1 : end])
    return start, " ".join([first, *rest]).strip()


def _cited(text: str, pattern: str) -> str:
    """`text`, or, past MAX_CITATION characters, its sentences from the one stating the rule
    (matching `pattern`) on, as many as fit."""
    if len(text) <= MAX_CITATION:
        return text
    sentences = _SENTENCE_END.split(text)
    first = next((i for i, s in enumerate(sentences) if re.search(pattern, s, re.I)), 0)
    cited = sentences[first]
    for more in sentences[first + 1 :]:
        if len(cited) + 1 + len(more) > MAX_CITATION:
            break
        cited += " " + more
    return cited


def acked_hash(state_dir: Path, agent: str) -> str | None:
    acks = _read(state_dir / ACKS, {})
    entry = acks.get(agent) if isinstance(acks, dict) else None
    return entry.get("hash") if isinstance(entry, dict) else None


def record_ack(state_dir: Path, agent: str, rules_file: str, digest: str) -> None:
    acks = _read(state_dir / ACKS, {})
    if not isinstance(acks, dict):
        acks = {}
    acks[agent] = {"file": rules_file, "hash": digest, "at": timeutil.to_iso(timeutil.now())}
    _write(state_dir / ACKS, acks)


# -- approvals --------------------------------------------------------------------------


def read_approvals(state_dir: Path) -> list[Approval]:
    raw = _read(state_dir / APPROVALS, [])
    found = (approval_from_fields(item) for item in (raw if isinstance(raw, list) else []))
    return [a for a in found if a is not None]  # a damaged item is skipped


def record_approval(state_dir: Path, approval: Approval) -> None:
    raw = _read(state_dir / APPROVALS, [])
    items = raw if isinstance(raw, list) else []
    items.append(approval.to_fields())
    _write(state_dir / APPROVALS, items[-200:])  # keep the file small


# -- the findings log -------------------------------------------------------------------


def log_findings(state_dir: Path, hook: str, agent: str, findings: list[Finding]) -> None:
    if not findings:
        return
    state_dir.mkdir(parents=True, exist_ok=True)
    at = timeutil.to_iso(timeutil.now())
    with open(state_dir / FINDINGS_LOG, "a", encoding="utf-8") as fh:
        for f in findings:
            fh.write(json.dumps({"at": at, "hook": hook, "agent": agent, **f.to_json()}) + "\n")
