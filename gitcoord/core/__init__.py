"""The pure core: claim records, paths, modes, durations, patterns, config, wording.

Nothing here starts git or talks to a remote; every other layer builds on it."""
