"""Builders for domain tests: small, explicit defaults, aware UTC times."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from typing import Any

from tuika.domain.cases import Case, CaseStatus, Role, Route, TimelineEvent
from tuika.domain.evaluate import Claim
from tuika.domain.money import Money
from tuika.domain.orders import DeliveryStatus, Order, OrderItem, PaymentRoute, ProductKind
from tuika.domain.payouts import Payout, PayoutRoute, PayoutStatus, allocate
from tuika.domain.policy import EvidenceKind, LiableParty, Policy, Reason, parse_policy

PAID_AT = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
DELIVERED_AT = PAID_AT + timedelta(minutes=5)


def default_policy_doc() -> dict[str, Any]:
    """Return a fresh parse of the shipped default.toml, safe to mutate."""
    text = files("tuika.policies").joinpath("default.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def default_policy() -> Policy:
    """Return the shipped default policy as version 1."""
    return parse_policy(default_policy_doc(), 1)


def item(n: int = 1, *, activated_at: datetime | None = None, secret: str | None = None) -> OrderItem:
    """Return item ``oi_<n>``."""
    return OrderItem(id=f"oi_{n}", secret=secret if secret is not None else f"enc:{n}", activated_at=activated_at)


def order(
    *,
    kind: ProductKind = ProductKind.CARD_KEY,
    amount: int = 10_000,
    n_items: int = 1,
    items: tuple[OrderItem, ...] | None = None,
    delivery: DeliveryStatus = DeliveryStatus.DELIVERED,
    paid_at: datetime = PAID_AT,
    delivered_at: datetime | None = None,
    route: PaymentRoute = PaymentRoute.ALIPAY,
) -> Order:
    """Return an order; a delivered one gets ``delivered_at`` five minutes after payment by default."""
    if delivered_at is None and delivery is DeliveryStatus.DELIVERED:
        delivered_at = paid_at + timedelta(minutes=5)
    return Order(
        id="ord_1",
        buyer_id="b_1",
        merchant_id="m_1",
        supplier_id="s_1",
        sku="sku_1",
        product_kind=kind,
        items=items if items is not None else tuple(item(i) for i in range(1, n_items + 1)),
        amount=Money(amount),
        payment_route=route,
        transaction_id="tx_1",
        paid_at=paid_at,
        delivery_status=delivery,
        delivered_at=delivered_at,
    )


def claim(
    reason: Reason,
    on: Order,
    *,
    item_ids: tuple[str, ...] | None = None,
    evidence: tuple[EvidenceKind | None, ...] = (),
) -> Claim:
    """Return a claim on ``on``: all its items unless some are named."""
    return Claim(reason, item_ids if item_ids is not None else on.item_ids(), evidence)


def case(
    *,
    status: CaseStatus = CaseStatus.SUBMITTED,
    at: datetime = PAID_AT,
    refundable: int = 10_000,
    fee: int = 0,
) -> Case:
    """Return a case with the initial timeline event of its submission."""
    first = TimelineEvent(at, "b_1", Role.BUYER, None, CaseStatus.SUBMITTED)
    return Case(
        id="rc_1",
        order_id="ord_1",
        buyer_id="b_1",
        reason=Reason.CARD_INVALID,
        item_ids=("oi_1",),
        route=Route.BALANCE,
        status=status,
        policy_version=1,
        created_at=at,
        updated_at=at,
        refundable=Money(refundable),
        fee=Money(fee),
        liable=LiableParty.SUPPLIER,
        timeline=(first,),
    )


def payout(
    pid: str = "po_1",
    *,
    item_amounts: dict[str, Money] | None = None,
    amount: int = 10_000,
    fee: int = 0,
    status: PayoutStatus = PayoutStatus.PENDING,
    at: datetime = PAID_AT,
) -> Payout:
    """Return a payout; its items default to ``oi_1`` taking the whole refundable amount."""
    return Payout(
        id=pid,
        case_id=f"rc_{pid}",
        order_id="ord_1",
        buyer_id="b_1",
        route=PayoutRoute.BALANCE,
        amount=Money(amount),
        fee=Money(fee),
        item_amounts=item_amounts if item_amounts is not None else {"oi_1": Money(amount + fee)},
        status=status,
        created_at=at,
        updated_at=at,
    )


def payout_for(pid: str, on: Order, item_ids: tuple[str, ...], refundable: int, *, fee: int = 0) -> Payout:
    """Return a pending payout of ``refundable`` fen over ``item_ids``, allocated as the service would."""
    shares = allocate(item_ids, on.item_amounts(), Money(refundable))
    return payout(pid, item_amounts=shares, amount=refundable - fee, fee=fee)
