"""The policy core: pure decisions from a change and its context to findings.

The hooks, `gitcoord ci` and the server gather their inputs their own way and ask here."""
