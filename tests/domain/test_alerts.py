"""Settling a dispute between a gateway and our record of a payout: only the gateway's confirmed word decides."""

from __future__ import annotations

import pytest

from tuika.domain.alerts import DISPUTING, AlertKind, AlertOutcome, settle_dispute
from tuika.domain.errors import DisputeUndecided
from tuika.domain.gateway import RefundState
from tuika.domain.payouts import PayoutStatus

P, R, Out = PayoutStatus, RefundState, AlertOutcome


@pytest.mark.parametrize(
    ("status", "redirected", "state", "outcome"),
    [
        (P.FAILED, False, R.SUCCEEDED, Out.PAID_BY_GATEWAY),
        (P.FAILED, True, R.SUCCEEDED, Out.PAID_TWICE),
        (P.FAILED, False, R.FAILED, Out.NOT_PAID),
        (P.FAILED, False, R.NOT_FOUND, Out.NOT_PAID),
        (P.FAILED, True, R.FAILED, Out.NOT_PAID),
        (P.SUCCEEDED, False, R.SUCCEEDED, Out.CONFIRMED),
        (P.PROCESSING, False, R.SUCCEEDED, Out.PAID_BY_GATEWAY),
        (P.ABNORMAL, False, R.SUCCEEDED, Out.PAID_BY_GATEWAY),
    ],
)
def test_the_gateways_final_word_settles_the_dispute(
    status: PayoutStatus, redirected: bool, state: RefundState, outcome: AlertOutcome
) -> None:
    assert settle_dispute(status, redirected, state, amount_matches=True) is outcome


@pytest.mark.parametrize(
    ("status", "state", "code"),
    [
        (P.FAILED, R.PROCESSING, "gateway_undecided"),
        (P.FAILED, R.ABNORMAL, "gateway_undecided"),
        (P.PROCESSING, R.PROCESSING, "gateway_undecided"),
        # We recorded it paid and the gateway now says it is not: the money came back to the
        # platform (a bank's 退票); the buyer must be paid again, which is finance's call.
        (P.SUCCEEDED, R.FAILED, "refund_returned_by_gateway"),
        (P.SUCCEEDED, R.NOT_FOUND, "refund_returned_by_gateway"),
    ],
)
def test_a_dispute_the_gateway_does_not_settle_stays_open(status: PayoutStatus, state: RefundState, code: str) -> None:
    with pytest.raises(DisputeUndecided) as refused:
        settle_dispute(status, False, state, amount_matches=True)
    assert refused.value.code == code


def test_another_amount_than_ours_never_settles_a_dispute() -> None:
    with pytest.raises(DisputeUndecided) as refused:
        settle_dispute(P.FAILED, False, R.SUCCEEDED, amount_matches=False)
    assert refused.value.code == "gateway_amount_disputed"


def test_only_what_may_mean_money_left_disputes_a_payout() -> None:
    assert frozenset({AlertKind.STATE_CONTRADICTION, AlertKind.AMOUNT_MISMATCH}) == DISPUTING
    assert AlertKind.WRONG_CHANNEL not in DISPUTING
    assert AlertKind.UNKNOWN_REFUND not in DISPUTING
