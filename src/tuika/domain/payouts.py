"""Payouts: the money movement of an approved case, separate from the decision."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Final

from tuika.domain.errors import IllegalTransition, OverRefund
from tuika.domain.ids import CaseId, OrderId, PayoutId
from tuika.domain.money import Money


class PayoutStatus(StrEnum):
    PENDING = "pending"  # created with the approval, nothing sent
    PROCESSING = "processing"  # the request number is stored and the request sent (or about to be)
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # nothing was paid; the buyer or finance may send it to the balance instead
    ABNORMAL = "abnormal"  # the gateway could not reach the buyer's account; finance picks the way out


P = PayoutStatus
PAYOUT_TRANSITIONS: Final[Mapping[PayoutStatus, frozenset[PayoutStatus]]] = {
    P.PENDING: frozenset({P.PROCESSING, P.FAILED}),
    P.PROCESSING: frozenset({P.SUCCEEDED, P.FAILED, P.ABNORMAL}),
    # The way out the gateway offers sends it again; redirecting to the balance fails it.
    P.ABNORMAL: frozenset({P.PROCESSING, P.SUCCEEDED, P.FAILED}),
    P.SUCCEEDED: frozenset(),
    # Failed is final to every gateway word; only finance, settling a dispute in which the
    # payout's own gateway confirms it paid after all, corrects it (domain.alerts).
    P.FAILED: frozenset({P.SUCCEEDED}),
}
FINAL_PAYOUTS: Final = frozenset({P.SUCCEEDED, P.FAILED})


class PayoutRoute(StrEnum):
    BALANCE = "balance"
    ALIPAY = "alipay"
    WECHAT = "wechat"
    BANK_CARD = "bank_card"


@dataclass(frozen=True, slots=True)
class Payout:
    """Money owed to a buyer for one case. Its id is the refund number sent to a gateway."""

    id: PayoutId
    case_id: CaseId
    order_id: OrderId
    buyer_id: str
    route: PayoutRoute
    amount: Money
    fee: Money
    item_amounts: Mapping[str, Money]
    status: PayoutStatus
    created_at: datetime
    updated_at: datetime
    attempts: int = 0
    # The gateway's refund number once it gave one (the balance's own number for a balance refund).
    voucher: str | None = None
    failure: str | None = None
    # When the request number was first stored as sent; the gateway may hold a refund from then on.
    sent_at: datetime | None = None
    # The failed original-route payout this balance payout replaces; at most one per failed payout.
    redirected_from: PayoutId | None = None
    # When to ask the gateway about it next, while it is processing.
    check_at: datetime | None = None

    @property
    def gateway_refund_no(self) -> PayoutId:
        """Return the request number a gateway sees; the same on every retry."""
        return self.id

    @property
    def refundable(self) -> Money:
        """Return what this payout takes off the order: amount plus the fee kept."""
        return self.amount + self.fee

    def move(self, to: PayoutStatus, at: datetime, **changes: object) -> Payout:
        """Return the payout in status ``to``; any move outside the table raises."""
        if to not in PAYOUT_TRANSITIONS[self.status]:
            raise IllegalTransition(f"payout {self.status.value} → {to.value} is not allowed")
        return replace(self, status=to, updated_at=at, **changes)  # type: ignore[arg-type]


def allocate(items: Iterable[str], item_paid: Mapping[str, Money], refundable: Money) -> dict[str, Money]:
    """Spread a refundable amount over the claimed items, never more than each item's price."""
    if refundable.fen < 0:
        raise ValueError("a refundable amount cannot be negative")
    left = refundable
    shares: dict[str, Money] = {}
    for item in items:
        share = min(item_paid[item], left)
        shares[item] = share
        left = left - share
    if left:
        raise OverRefund(f"{left.fen} fen more than the items cost")
    return shares


def check_cap(
    paid: Money,
    item_paid: Mapping[str, Money],
    existing: Iterable[Payout],
    new: Payout,
    disputed: frozenset[PayoutId] = frozenset(),
) -> None:
    """Raise ``OverRefund`` if the payouts that may have paid would exceed what was paid.

    A failed payout frees its share unless its gateway disputes the failure (``disputed``:
    payout ids with an open dispute), since then the money may have left after all.
    Checked per order and per item, under the order's row lock, so two approvals
    racing on the same order can never both pass.
    """
    live = [p for p in existing if (p.status is not PayoutStatus.FAILED or p.id in disputed) and p.id != new.id]
    total = sum((p.refundable for p in live), new.refundable)
    if total > paid:
        raise OverRefund(f"{total.fen} fen > {paid.fen} fen paid", paid=paid.fen, total=total.fen)
    for item, price in item_paid.items():
        used = sum((p.item_amounts.get(item, Money.zero()) for p in live), Money.zero())
        used = used + new.item_amounts.get(item, Money.zero())
        if used > price:
            raise OverRefund(f"item {item}: {used.fen} fen > {price.fen} fen", item=item)
