"""Conversions between rows and domain objects."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, inspect

from tuika.adapters.db.tables import (
    Base,
    CaseEventRow,
    CaseRow,
    DecisionRow,
    EvidenceRow,
    OrderItemRow,
    OrderRow,
    PayoutRow,
)
from tuika.domain.cases import Case, CaseStatus, Decision, DecisionAction, Role, Route, Tier, TimelineEvent
from tuika.domain.money import Money
from tuika.domain.orders import DeliveryStatus, Order, OrderItem, PaymentRoute, ProductKind
from tuika.domain.payouts import Payout, PayoutRoute, PayoutStatus
from tuika.domain.policy import EvidenceKind, Reason
from tuika.services.ports import EvidenceRecord


def table(model: type[Base]) -> Table:
    """Return the table a row class is mapped to."""
    return cast(Table, model.__table__)


def insert_values(row: Base) -> dict[str, Any]:
    """Return the columns set on an unsaved row object, for a Core INSERT; the rest take their defaults."""
    state = inspect(row).dict
    return {c.key: state[c.key] for c in table(type(row)).columns if c.key in state}


def order_from_rows(row: OrderRow, items: list[OrderItemRow]) -> Order:
    return Order(
        id=row.id,
        buyer_id=row.buyer_id,
        merchant_id=row.merchant_id,
        supplier_id=row.supplier_id,
        sku=row.sku,
        product_kind=ProductKind(row.product_kind),
        items=tuple(
            OrderItem(i.item_id, i.secret_enc, i.account, i.activated_at)
            for i in sorted(items, key=lambda i: i.position)
        ),
        amount=Money(row.amount_fen),
        payment_route=PaymentRoute(row.payment_route),
        transaction_id=row.transaction_id,
        paid_at=row.paid_at,
        delivery_status=DeliveryStatus(row.delivery_status),
        delivered_at=row.delivered_at,
        face_value=None if row.face_value_fen is None else Money(row.face_value_fen),
        title=row.title,
    )


def fill_order_row(row: OrderRow, order: Order) -> None:
    row.buyer_id = order.buyer_id
    row.merchant_id = order.merchant_id
    row.supplier_id = order.supplier_id
    row.sku = order.sku
    row.title = order.title
    row.product_kind = order.product_kind.value
    row.amount_fen = order.amount.fen
    row.face_value_fen = None if order.face_value is None else order.face_value.fen
    row.payment_route = order.payment_route.value
    row.transaction_id = order.transaction_id
    row.paid_at = order.paid_at
    row.delivery_status = order.delivery_status.value
    row.delivered_at = order.delivered_at


def event_from_row(row: CaseEventRow) -> TimelineEvent:
    return TimelineEvent(
        at=row.at,
        actor=row.actor,
        role=Role(row.role),
        from_status=None if row.from_status is None else CaseStatus(row.from_status),
        to_status=CaseStatus(row.to_status),
        reason_codes=tuple(row.reason_codes),
        note=row.note,
    )


def event_row(case_id: str, event: TimelineEvent) -> CaseEventRow:
    return CaseEventRow(
        case_id=case_id,
        at=event.at,
        actor=event.actor,
        role=event.role.value,
        from_status=None if event.from_status is None else event.from_status.value,
        to_status=event.to_status.value,
        reason_codes=list(event.reason_codes),
        note=event.note,
    )


def case_from_row(row: CaseRow, events: list[CaseEventRow]) -> Case:
    return Case(
        id=row.id,
        order_id=row.order_id,
        buyer_id=row.buyer_id,
        reason=Reason(row.reason),
        item_ids=tuple(row.item_ids),
        route=Route(row.route),
        status=CaseStatus(row.status),
        policy_version=row.policy_version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        refundable=Money(row.refundable_fen),
        fee=Money(row.fee_fen),
        liable=row.liable,
        description=row.description,
        evidence_ids=tuple(row.evidence_ids),
        reason_codes=tuple(row.reason_codes),
        due_at=row.due_at,
        appealed=row.appealed,
        decided_by=row.decided_by,
        timeline=tuple(event_from_row(e) for e in events),
    )


def fill_case_row(row: CaseRow, case: Case) -> None:
    row.status = case.status.value
    row.updated_at = case.updated_at
    row.reason_codes = list(case.reason_codes)
    row.due_at = case.due_at
    row.appealed = case.appealed
    row.decided_by = case.decided_by
    row.evidence_ids = list(case.evidence_ids)
    row.refundable_fen = case.refundable.fen
    row.fee_fen = case.fee.fen
    row.liable = case.liable
    row.policy_version = case.policy_version


def new_case_row(case: Case) -> CaseRow:
    row = CaseRow(
        id=case.id,
        order_id=case.order_id,
        buyer_id=case.buyer_id,
        reason=case.reason.value,
        item_ids=list(case.item_ids),
        route=case.route.value,
        description=case.description,
        created_at=case.created_at,
    )
    fill_case_row(row, case)
    return row


def decision_from_row(row: DecisionRow) -> Decision:
    return Decision(
        case_id=row.case_id,
        action=DecisionAction(row.action),
        tier=Tier(row.tier),
        actor=row.actor,
        reason_codes=tuple(row.reason_codes),
        note=row.note,
        at=row.at,
    )


def payout_from_row(row: PayoutRow) -> Payout:
    return Payout(
        id=row.id,
        case_id=row.case_id,
        order_id=row.order_id,
        buyer_id=row.buyer_id,
        route=PayoutRoute(row.route),
        amount=Money(row.amount_fen),
        fee=Money(row.fee_fen),
        item_amounts={k: Money(int(v)) for k, v in row.item_amounts.items()},
        status=PayoutStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        attempts=row.attempts,
        voucher=row.voucher,
        failure=row.failure,
    )


def fill_payout_row(row: PayoutRow, payout: Payout) -> None:
    row.status = payout.status.value
    row.attempts = payout.attempts
    row.voucher = payout.voucher
    row.failure = payout.failure
    row.updated_at = payout.updated_at


def new_payout_row(payout: Payout) -> PayoutRow:
    row = PayoutRow(
        id=payout.id,
        case_id=payout.case_id,
        order_id=payout.order_id,
        buyer_id=payout.buyer_id,
        route=payout.route.value,
        amount_fen=payout.amount.fen,
        fee_fen=payout.fee.fen,
        item_amounts={k: v.fen for k, v in payout.item_amounts.items()},
        created_at=payout.created_at,
    )
    fill_payout_row(row, payout)
    return row


def evidence_from_row(row: EvidenceRow) -> EvidenceRecord:
    return EvidenceRecord(
        id=row.id,
        owner_id=row.owner_id,
        sha256=row.sha256,
        content_type=row.content_type,
        size=row.size,
        width=row.width,
        height=row.height,
        kind=None if row.kind is None else EvidenceKind(row.kind),
        case_id=row.case_id,
        created_at=row.created_at,
    )
