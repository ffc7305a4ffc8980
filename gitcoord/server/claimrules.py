"""What the server refuses under refs/claims/: invalid claim objects, claims in another's
name, replacing or breaking another holder's live claim, and claims that conflict with
another live claim once the push is applied."""

from __future__ import annotations

from collections.abc import Sequence

from gitcoord.core.claim import Claim
from gitcoord.core.overlap import PathIndex
from gitcoord.core.refnames import CLAIMS
from gitcoord.core.textsafe import path_word
from gitcoord.server.policy import MAX_SHOWN, Pusher, Refusal, describe
from gitcoord.server.refchange import RefChange


def _live(c: Claim | str | None, now: float, skew: float) -> Claim | None:
    return c if isinstance(c, Claim) and not c.is_expired(now, skew) else None


def claims_after(
    changes: Sequence[RefChange],
    current: dict[str, Claim | str],
    pushed: dict[str, Claim | str],
) -> dict[str, Claim]:
    """The valid claims once `changes` are applied (invalid pushed objects left out)."""
    after = {ref: c for ref, c in current.items() if isinstance(c, Claim)}
    for ch in changes:
        if ch.ref.startswith(CLAIMS):
            after.pop(ch.ref, None)
            new = None if ch.deletes else pushed.get(ch.ref)
            if isinstance(new, Claim):
                after[ch.ref] = new
    return after


def _change_refusal(
    ch: RefChange, held: Claim | None, claim: Claim | str, pusher: Pusher, now: float
) -> Refusal | None:
    """Why one pushed claim ref may not change; None when it may (`claim`: the claim at the
    new OID, or why there is none; `held`: the live claim there now)."""
    if ch.deletes:
        if held and not pusher.owns(held.agent) and not pusher.admin:
            return Refusal(
                ch.ref,
                f"breaking {held.agent}'s live claim on {held.path} needs a server "
                f"admin; you are {pusher.acting_as()}",
                f"ask {held.agent} to release it "
                f"(`git claim -d {path_word(str(held.path))}`), or ask an admin"
                " listed in the server's `gitcoord.admin` to break it",
            )
        return None
    if isinstance(claim, str):
        return Refusal(
            ch.ref,
            f"not a valid claim: {claim}",
            "write claims only with `git claim`; delete a stray ref with "
            f"`git push origin :{ch.ref}`",
        )
    if not pusher.owns(claim.agent):
        return Refusal(
            ch.ref,
            f"a claim on {claim.path} in the name of {claim.agent}, but you are "
            f"{pusher.acting_as()}",
            "claim under your own name (GITCOORD_AGENT / git config gitcoord.agent), "
            "or ask the server admin to map it: "
            f"`git config --add gitcoord.usermap '{pusher.gl_user} {claim.agent}'`",
        )
    if held and held.holder != claim.holder and not pusher.admin:
        return Refusal(
            ch.ref,
            f"would replace a live claim: {describe(held, now)}",
            f"wait for it: `git claim --wait {path_word(str(claim.path))}`, or break it first: "
            f"`git claim --break {path_word(str(claim.path))} -r REASON`",
        )
    return None


def check_claims(
    changes: Sequence[RefChange],
    current: dict[str, Claim | str],
    pushed: dict[str, Claim | str],
    pusher: Pusher,
    now: float,
    skew: float,
) -> list[Refusal]:
    """Refusals for changes under refs/claims/; `pushed` holds the claims at the new OIDs."""
    refusals: list[Refusal] = []
    written: list[Claim] = []
    for ch in changes:
        if not ch.ref.startswith(CLAIMS):
            continue
        held = _live(current.get(ch.ref), now, skew)
        claim = pushed.get(ch.ref, "its object is missing")
        refusal = _change_refusal(ch, held, claim, pusher, now)
        if refusal is not None:
            refusals.append(refusal)
        elif isinstance(claim, Claim) and not ch.deletes:
            written.append(claim)
    after = list(claims_after(changes, current, pushed).values())
    index = PathIndex(after)
    for claim in written:
        if claim.is_expired(now, skew):
            continue
        rivals = [
            o
            for o in (after[i] for i in sorted(index.overlapping(claim.path)))
            if o.ref != claim.ref and not o.is_expired(now, skew) and claim.conflicts_with(o)
        ]
        if rivals:
            refusals.append(
                Refusal(
                    claim.ref,
                    f"{claim.mode.value} claim on {claim.path} by {claim.agent} conflicts: "
                    + "; ".join(describe(o, now) for o in rivals[:MAX_SHOWN]),
                    f"wait for it: `git claim --wait {path_word(str(claim.path))}`; or ask "
                    f"{rivals[0].agent} to release it "
                    f"(`git claim -d {path_word(str(rivals[0].path))}`)",
                )
            )
    return refusals
