"""When a buyer's recent claims make a person want to look."""

from __future__ import annotations

import pytest

from tuika.domain.history import BuyerHistory, HistoryLimits, history_doubts

LIMITS = HistoryLimits(max_claims=5, min_claims_for_share=3, max_rejected_share=0.5)


@pytest.mark.parametrize(
    ("history", "flagged"),
    [
        (BuyerHistory(), False),
        (BuyerHistory(claims=4, approved=4), False),
        (BuyerHistory(claims=5, approved=5), True),
        (BuyerHistory(claims=2, rejected=2), False),  # too few claims for a share to mean anything
        (BuyerHistory(claims=3, rejected=1, approved=2), False),
        (BuyerHistory(claims=3, rejected=2, approved=1), True),
        (BuyerHistory(claims=4, rejected=2, approved=2), False),  # exactly half is not more than half
        (BuyerHistory(claims=1, rejected=1, abuse=1), True),  # one rejection as abuse is enough
        (BuyerHistory(claims=2, approved=2), False),  # the machine's doubts about them do not count
    ],
)
def test_a_history_is_flagged_past_a_limit(history: BuyerHistory, flagged: bool) -> None:
    assert history_doubts(history, LIMITS) == (("buyer_history_flagged",) if flagged else ())
