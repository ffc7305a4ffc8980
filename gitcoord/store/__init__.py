"""The claim store: claim, audit and approval refs on the coordination remote, mirrored
locally, and the small state files under `<git-common-dir>/gitcoord/`."""
