"""The claim protocol: provisional push, read after write, grant, renew, release, break."""
