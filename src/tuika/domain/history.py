"""A buyer's recent claims, and when they are enough to want a person to look."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BuyerHistory:
    """Other claims by the same buyer within the window."""

    claims: int = 0
    approved: int = 0
    rejected: int = 0
    flagged: int = 0  # claims on which the machine found a reused or foreign screenshot


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
    return ("buyer_history_flagged",) if too_many or mostly_rejected or history.flagged else ()
