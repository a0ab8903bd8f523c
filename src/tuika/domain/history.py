"""A buyer's recent claims, and when they are enough to want a person to look.

Only what a person decided counts against a buyer: how many claims, how many a person
rejected, and how many a person rejected as abuse. The machine's own doubts about an earlier
claim (a screenshot that looked reused, a history that looked busy) do not: they sent that
claim to a person, who decided it, and counting them again would let one doubt follow a buyer
for the whole window, approved or not. A claim a person approved counts only as a claim.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

# The reasons a person gives when rejecting a claim as abuse rather than as not covered: a
# forged or reused screenshot, a claim filed twice, a key the buyer used himself. One is enough.
ABUSE: Final = frozenset({"suspected_fraud", "evidence_inconsistent", "duplicate_claim", "card_used_by_buyer"})


@dataclass(frozen=True, slots=True)
class BuyerHistory:
    """Other claims by the same buyer within the window, by what a person decided."""

    claims: int = 0
    approved: int = 0
    rejected: int = 0  # rejected by a person (agent or arbitrator), for any reason
    abuse: int = 0  # of those, rejected with a reason in ``ABUSE``


@dataclass(frozen=True, slots=True)
class HistoryLimits:
    max_claims: int = 5
    # A rejection share only means something over a few claims.
    min_claims_for_share: int = 3
    max_rejected_share: float = 0.5


def history_doubts(history: BuyerHistory, limits: HistoryLimits) -> tuple[str, ...]:
    """Return ``buyer_history_flagged`` when the history crosses a limit; a person then looks, nothing is refused."""
    too_many = history.claims >= limits.max_claims
    mostly_rejected = (
        history.claims >= limits.min_claims_for_share and history.rejected / history.claims > limits.max_rejected_share
    )
    return ("buyer_history_flagged",) if too_many or mostly_rejected or history.abuse else ()


def rejected_as_abuse(codes: Iterable[str]) -> bool:
    """Return whether a person's rejection names abuse."""
    return not ABUSE.isdisjoint(codes)
