"""json.dumps(obj, indent=N) for a flat JSON object, through json's C string encoder.

Any `indent` makes json fall back to its pure-Python encoder: ~40 µs for a claim's object,
so 0.2 s for 5,000 claims in a listing, or for the 1,000 messages of a 1,000-path claim.
A claim's JSON is flat (str, int, float, bool, None values), and for such an object the
indented text is simple to write: each value goes through the C encoder instead. The text is
byte for byte json.dumps's (tests/test_lean_stdlib.py checks it on random objects);
anything else takes json's own path.
"""

from __future__ import annotations

import json
import math
from typing import Any

_ASCII = json.encoder.encode_basestring_ascii
_UTF8 = json.encoder.encode_basestring
_SCALARS = {True: "true", False: "false", None: "null"}


def dumps(
    obj: dict[str, Any], *, indent: int, sort_keys: bool = False, ensure_ascii: bool = True
) -> str:
    if not obj or not all(isinstance(k, str) for k in obj):
        return json.dumps(obj, indent=indent, sort_keys=sort_keys, ensure_ascii=ensure_ascii)
    encode = _ASCII if ensure_ascii else _UTF8
    pad = " " * indent
    items = []
    for key in sorted(obj) if sort_keys else obj:
        value = obj[key]
        if isinstance(value, str):
            text = encode(value)
        elif value is None or isinstance(value, bool):
            text = _SCALARS[value]
        elif isinstance(value, int):
            text = int.__repr__(value)  # as json writes an int (an IntEnum too)
        elif isinstance(value, float) and math.isfinite(value):
            text = float.__repr__(value)
        else:
            return json.dumps(obj, indent=indent, sort_keys=sort_keys, ensure_ascii=ensure_ascii)
        items.append(f"{pad}{encode(key)}: {text}")
    return "{\n" + ",\n".join(items) + "\n}"
