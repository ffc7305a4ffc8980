"""The client-side git hooks (pre-commit, pre-push, commit-msg): thin adapters onto the
policy core, and their installation."""
