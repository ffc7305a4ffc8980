"""SHA-1 and SHA-256 without hashlib: CPython's own implementations import in a fraction
of the time hashlib takes to load OpenSSL (~2.5 ms here, on every claim and hook). The
digests are the same; a Python built without those modules falls back to hashlib."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Digest(Protocol):
    def digest(self) -> bytes: ...
    def hexdigest(self) -> str: ...


Hasher = Callable[[bytes], Digest]


def _find(name: str, modules: tuple[str, ...]) -> Hasher:
    for module in modules:
        try:
            found: Hasher = getattr(__import__(module), name)
            return found
        except (ImportError, AttributeError):
            continue
    fallback: Hasher = getattr(__import__("hashlib"), name)
    return fallback


sha1 = _find("sha1", ("_sha1",))
sha256 = _find("sha256", ("_sha2", "_sha256"))  # _sha2 from Python 3.12 on
