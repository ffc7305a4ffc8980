"""The ref layout on the remote and in the local mirror (docs/design.md shows it).

Every claim ref sits at depth four with one lowercase base32 component, so no two
claim refs can be in a directory/file conflict, names stay short whatever the path,
and case-insensitive servers cannot merge two refs.

    refs/claims/w/<pathkey>               the exclusive writer of a path (one fixed ref)
    refs/claims/s/<pathkey>-<holderkey>   one shared (read/intent) holder of a path
    refs/claims-log/<agentkey>            one append-only audit log per agent
    refs/claim-waiters/<holderkey>        a holder waiting (`--wait`) for its claim: the queue
    refs/tasks/<state>/<id>               a task of the queue, in its state (core/task.py)
    refs/task-slots/<pool>/<n>            a running task's place in a bounded pool
"""

from __future__ import annotations

import base64
from hashlib import sha256

from gitcoord.core.modes import Mode

CLAIMS = "refs/claims/"
WRITE = CLAIMS + "w/"
SHARED = CLAIMS + "s/"
LOG = "refs/claims-log/"
# Outside refs/claims/: the listing parses everything there as a claim, and gc removes
# what is unreadable under w/ and s/.
WAITERS = "refs/claim-waiters/"
TASKS = "refs/tasks/"
SLOTS = "refs/task-slots/"
LOCAL = "refs/gitcoord/"


def _key(text: str, length: int) -> str:
    digest = sha256(text.encode("utf-8", "surrogatepass")).digest()
    # Base32 turns each 5 bytes into 8 characters on its own, so the first `length` (≤ 32)
    # characters come from the first 20 bytes alone: 4 groups to encode instead of 7.
    return base64.b32encode(digest[:20]).decode("ascii").lower()[:length]


def path_key(path_key_text: str) -> str:
    return _key("path\0" + path_key_text, 26)


def holder_key(agent: str, session: str) -> str:
    return _key("holder\0" + agent + "\0" + session, 16)


def agent_key(agent: str) -> str:
    return _key("agent\0" + agent, 26)


def claim_ref(path_key_text: str, mode: Mode, agent: str, session: str) -> str:
    if mode.exclusive:
        return WRITE + path_key(path_key_text)
    return SHARED + path_key(path_key_text) + "-" + holder_key(agent, session)


def waiter_ref(agent: str, session: str) -> str:
    """A holder's one waiter ref: a session waits for one claim at a time."""
    return WAITERS + holder_key(agent, session)


def log_ref(agent: str) -> str:
    return LOG + agent_key(agent)


def mirror_prefix(remote_key: str) -> str:
    """Where fetched claim refs live locally: refs/gitcoord/<remote>/claims/…"""
    return f"{LOCAL}{remote_key}/"


def to_mirror(remote_ref: str, remote_key: str) -> str:
    return mirror_prefix(remote_key) + remote_ref[len("refs/") :]


def from_mirror(local_ref: str, remote_key: str) -> str:
    return "refs/" + local_ref[len(mirror_prefix(remote_key)) :]


def task_ref(state: str, task_id: str) -> str:
    """A task's ref: constant depth, its id (core/task.key_problem) as the last component."""
    return f"{TASKS}{state}/{task_id}"


def slot_ref(pool: str, number: int) -> str:
    return f"{SLOTS}{pool}/{number}"
