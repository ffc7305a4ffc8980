"""Server-side enforcement for a bare repository you host (`gitcoord server install`).

Installed hooks (docs/server.md has the install steps, gitolite notes and the locking argument):

- pre-receive gives the clean refusals, before any ref is locked;
- reference-transaction, state "prepared", is the safety net: it takes a repository-wide
  claims lock (txlock.py), re-checks the claim rules against the refs as they are at that
  moment, and holds the lock until the same transaction is "committed" or "aborted".

What the server refuses (claimrules.py, logrules.py, branchrules.py, taskrules.py; every
refusal names the ref, the cause and the fix):

1. refs/claims/*: an object that is not a commit, is over 64 KiB, is not a claim of a
   known format, or sits at another ref than the one its content maps to
   (refnames.claim_ref); replacing another holder's *live* claim in place.
2. Overlap: after the pushed updates, a written claim that conflicts (overlapping paths,
   incompatible modes, different holders) with another live claim. Live means not past
   expires_at + [claims] clock_skew of gitcoord.toml on the default branch (default 5s),
   by the server's clock. A claim already on the server is never refused retroactively.
3. refs/claims-log/*: a tip that is not a commit or not a gitcoord log entry; a deletion
   or a non-fast-forward (the audit log is append-only; a gitolite admin may).
4. Protected branches (whole-name patterns, `*` stopping at `/`, as the pre-push hook
   matches them; gitcoord.protected in the repository's config, recorded by the
   install, together with [sync] protected of gitcoord.toml on the default branch):
   deletion and non-fast-forward, whatever the client's --force or --no-verify; and a
   push that drops a recorded pattern from gitcoord.toml (only an admin unprotects).
7. Every new commit a push brings to refs/claims-log/ (not only the tip) must be a small
   log entry with the empty tree and at most one parent; a claim commit must have the
   empty tree and no parent. A parse exception refuses the object.
8. Before checking, pre-receive removes the pushed refs' lock files under refs/claims/
   and refs/claims-log/ that a dead transaction left (stalelocks.py).
5. Branches: a pushed commit (not yet on any branch of the server) that adds, modifies,
   deletes or renames (both sides) a path covered by another holder's live claim. The
   commit's agent is GL_USER's agents under gitolite, else its last `Gitcoord-Agent:`
   trailer (with its `Gitcoord-Session:`), else the `[agents]` e-mail map of gitcoord.toml
   on the default branch, else its author email, spelled as a claim holder spells it when
   they differ only in case (policy/agents.py, the rule `gitcoord ci` uses). A commit
   naming its session does not own its agent's claims of other sessions.
6. With GL_USER (gitolite): writing a claim or a log entry in the name of an agent the
   user may not act as (gitcoord.usermap; default: the agent named like the user);
   deleting another agent's live claim unless the user is in gitcoord.admin. Every claim
   a gitolite user deletes in another agent's name is appended to gitcoord/audit.jsonl
   in the repository (besides the client's own log entry).
9. The team's policy (policyrules.py), from gitcoord.toml at the pushed-to branch's current
   tip (a new branch: the default branch's) and on the default branch, the strictest
   winning, each rule in its [checks] mode (enforce refuses, warn tells and accepts): a
   pushed commit that changes a path of a block-tier guard, or a path outside its agent's
   role (under gitolite an agent GL_USER may act as, else GL_USER); a push that creates or
   moves a [sync] deploy branch to a commit lacking the base tip ([remote] base, else the
   default branch).
10. The task queue (taskrules.py, by the client's rules in core/task_refs.py): a written
   refs/tasks/<state>/<id> that is not a small commit parsing as a task in that state with
   that id; a written refs/task-slots/<pool>/<n> that is not the running version of a task
   of that pool (the commit its running ref holds after the push); a created slot of a
   pool the policy on the default branch does not declare, numbered >= its `slots`, or
   that would leave the pool more slot refs than `slots`. Deletions are never refused.
11. The queue (waiterrules.py): a written refs/claim-waiters/<holderkey> that is not a
   waiter of a known format at its holder's ref, or (GL_USER) in the name of an agent
   the user may not act as. A well-formed waiter is accepted; deletions never refused.
"""
