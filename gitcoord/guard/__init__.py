"""The edit-time guard: agent harness hooks (`gitcoord guard --harness NAME`) asking the same
policy core as the git hooks before a tool writes, reads or runs a shell command."""
