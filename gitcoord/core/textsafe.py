"""Text from the remote, made safe: JSON parsed within bounds, and text escaped for a terminal.

Anything under refs/claims*, written by any pusher, is hostile until parsed. Two rules:

* `loads_bounded` parses a JSON body only if its nesting is within a small depth (60 KB of
  `[` would otherwise exhaust the recursion limit) and its strings are valid Unicode (a lone
  surrogate escape such as `\\ud800` cannot be printed, hashed into a ref name or written as
  UTF-8). Callers still catch every exception: a remote object fails only into "invalid".
* `printable` is applied by every human renderer to the remote data it shows (paths,
  reasons, agents, hosts, problems): a control character in a forged claim would otherwise
  move the cursor, colour the terminal or fake a line of another agent's listing. JSON output
  needs nothing: json.dumps escapes control characters itself.

Standard library only (json and re, which the claim path imports anyway).
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0 controls, DEL, C1 controls; the Unicode line and paragraph separators and the bidi
# overrides/isolates (which reorder what a terminal shows); lone surrogates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control character escaped (`\\n`, `\\x1b`, `\\u202e`): one line,
    no terminal escape sequences. Printable text (the usual case) is returned as is."""
    if text.isascii() and text.isprintable():
        return text
    return _UNSAFE.sub(_escape, text)


class Refused(ValueError):
    """A JSON text that parses but is not accepted; str() completes "the body ..."."""


class TooDeep(Refused):
    """A JSON text nested deeper than its reader allows."""


# A JSON string (escapes included, skipped whole), or one bracket.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.S)
# A \u escape of a surrogate (D800-DFFF): a lone one decodes to an unencodable str.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def nesting_depth(text: str, limit: int) -> int:
    """How deeply `text`'s arrays and objects nest (outside strings), counting up to just
    past `limit`: it stops there, so 60 KB of `[` costs a few characters."""
    depth = deepest = 0
    for match in _TOKEN.finditer(text):
        ch = match.group()
        if ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        elif ch in "]}":
            depth -= 1
    return deepest


def loads_bounded(text: str, max_depth: int) -> Any:
    """json.loads(text), refused (Refused, a ValueError) when nested deeper than `max_depth`
    (TooDeep) or holding a lone surrogate. A flat object costs three memchr-like searches."""
    # Without "[" and with one "{" at most (a flat object: a claim), nothing nests; the
    # single-character searches cost a few ns (two str.count calls cost ~0.5 us a claim).
    # Nor can a text nest deeper than it has opening brackets (a task, with its `after`
    # and `paths` lists): the scan, ~0.1 ms a task, is left for the few that might.
    first = text.find("{")
    nests = "[" in text or (first >= 0 and text.find("{", first + 1) >= 0)
    may_exceed = nests and text.count("[") + text.count("{") > max_depth
    if may_exceed and nesting_depth(text, max_depth) > max_depth:
        raise TooDeep(f"is nested deeper than {max_depth} levels")
    data = json.loads(text)
    if "\\" in text and _SURROGATE_ESCAPE.search(text) is not None:  # (paired: one char)
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise Refused("holds a lone surrogate (not valid Unicode)") from None
    return data


def message_object(
    message: str | bytes,
    *,
    what: str,
    version: int,
    limit: int,
    depth: int,
    invalid: type[ValueError],
    newer: type[ValueError],
) -> dict[str, Any]:
    """The JSON object of a gitcoord commit message (a summary line, a blank line, JSON) of
    format `version`: at most `limit` bytes, UTF-8, nested at most `depth` levels. Raises
    `invalid` saying why (with `what`, "claim" or "task", in its words), or `newer` for a
    format from a newer gitcoord."""
    if len(message) > limit:
        raise invalid(f"object is {len(message)} bytes, over {limit}")
    if isinstance(message, bytes):
        try:
            message = message.decode("utf-8")
        except UnicodeDecodeError:
            raise invalid("message is not UTF-8") from None
    _, sep, body = message.partition("\n\n")
    if not sep:
        raise invalid(f"no {what} body in the commit message")
    try:
        data = loads_bounded(body, depth)
    except Refused as exc:
        raise invalid(f"{what} body {exc}") from None
    except ValueError:
        raise invalid(f"{what} body is not JSON") from None
    if not isinstance(data, dict):
        raise invalid(f"{what} body is not a JSON object")
    fmt = data.get("format")
    if fmt != version:
        if isinstance(fmt, int) and not isinstance(fmt, bool) and fmt > version:
            raise newer(f"{what} format {fmt} is newer than this gitcoord reads ({version})")
        raise invalid(f"unknown {what} format {fmt!r}")
    return data


def path_word(path: str) -> str:
    """A claim path as one shell word in a git claim command: a path that starts with `-`
    is written `./-x`, as `--` would start the command to hold for."""
    return shell_word("./" + path if path.startswith("-") else path)


def shell_word(text: str) -> str:
    """`text` (escaped by printable) as one word the user can paste into a shell."""
    word = printable(text)
    safe = word != "" and all(ch.isalnum() or ch in "/._-" for ch in word)
    return word if safe else "'" + word.replace("'", "'\\''") + "'"
