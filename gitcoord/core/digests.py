"""The digests gitcoord takes (claim OIDs, ref keys, remote keys): hashlib's, named once."""

from __future__ import annotations

from hashlib import sha1, sha256

__all__ = ["sha1", "sha256"]
