"""Alerts: a gateway said something our record of a payout does not show, and how such a dispute ends.

An alert changes no money. Two kinds dispute the payout itself — the gateway reports it paid
(or paid another amount) where we recorded otherwise — and while one is open the payout's
outcome is unknown: it may not be sent to the balance, and it still counts against what the
order can refund. Finance ends a dispute by asking the payout's own gateway again; only its
confirmed, final word decides (decision 0005), and a word that settles nothing keeps it open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from tuika.domain.errors import AmountDisputed, GatewayUndecided, RefundReturned
from tuika.domain.gateway import RefundState
from tuika.domain.ids import PayoutId
from tuika.domain.payouts import PayoutStatus


class AlertKind(StrEnum):
    UNKNOWN_REFUND = "unknown_refund"  # a gateway names a refund number we never sent
    WRONG_CHANNEL = "wrong_channel"  # a gateway names a payout that goes by another route
    AMOUNT_MISMATCH = "amount_mismatch"  # the payout's gateway reports another amount
    STATE_CONTRADICTION = "state_contradiction"  # the payout's gateway reports another outcome


# What may mean money left by the payout's own route although our record says otherwise.
DISPUTING: Final = frozenset({AlertKind.STATE_CONTRADICTION, AlertKind.AMOUNT_MISMATCH})


class AlertOutcome(StrEnum):
    PAID_BY_GATEWAY = "paid_by_gateway"  # the gateway confirms it paid: the payout is now succeeded
    PAID_TWICE = "paid_twice"  # the gateway paid and the balance did too: finance recovers one
    NOT_PAID = "not_paid"  # the gateway confirms it paid nothing: the failure stands
    CONFIRMED = "confirmed"  # the gateway now agrees with our record
    ACKNOWLEDGED = "acknowledged"  # nothing of ours to settle (another route's notice, a stranger's number)


@dataclass(frozen=True, slots=True)
class PayoutAlert:
    """What a gateway said against our record of a payout, and, once finance settled it, how it ended."""

    payout_id: PayoutId
    provider: str
    kind: AlertKind
    detail: str
    at: datetime
    id: str = ""
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    outcome: AlertOutcome | None = None
    note: str = ""

    @property
    def disputes(self) -> bool:
        """Return whether the alert, still open, leaves the payout's outcome unknown."""
        return self.resolved_at is None and self.kind in DISPUTING


def settle_dispute(status: PayoutStatus, redirected: bool, state: RefundState, *, amount_matches: bool) -> AlertOutcome:
    """Return how the gateway's current word about a disputed payout ends the dispute, or raise.

    >>> settle_dispute(PayoutStatus.FAILED, False, RefundState.SUCCEEDED, amount_matches=True)
    <AlertOutcome.PAID_BY_GATEWAY: 'paid_by_gateway'>
    """
    if state in (RefundState.PROCESSING, RefundState.ABNORMAL):
        raise GatewayUndecided(f"the gateway says {state.value}")
    if state is RefundState.SUCCEEDED:
        if not amount_matches:
            raise AmountDisputed("the gateway's amount differs from the payout's")
        if status is PayoutStatus.SUCCEEDED:
            return AlertOutcome.CONFIRMED
        if status is PayoutStatus.FAILED and redirected:
            return AlertOutcome.PAID_TWICE
        return AlertOutcome.PAID_BY_GATEWAY
    # FAILED or NOT_FOUND: the gateway holds no paid refund under the number.
    if status is PayoutStatus.SUCCEEDED:
        raise RefundReturned(f"the gateway says {state.value} for a payout recorded as paid")
    if status is PayoutStatus.FAILED:
        return AlertOutcome.NOT_PAID
    raise GatewayUndecided(f"the gateway says {state.value} while the payout is {status.value}")
