"""Conversions between rows and domain objects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table

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
from tuika.domain.ids import CaseId, EvidenceId, OrderId, PayoutId
from tuika.domain.money import Money
from tuika.domain.orders import DeliveryStatus, Order, OrderItem, PaymentRoute, ProductKind
from tuika.domain.payouts import Payout, PayoutRoute, PayoutStatus
from tuika.domain.policy import EvidenceKind, LiableParty, Reason
from tuika.services.ports import EvidenceRecord


def table(model: type[Base]) -> Table:
    """Return the table a row class is mapped to."""
    return cast(Table, model.__table__)


def order_from_rows(row: OrderRow, items: list[OrderItemRow]) -> Order:
    return order_from_record(_fields(row), [_fields(i) for i in items])


def order_from_record(record: Mapping[str, Any], items: Sequence[Mapping[str, Any]]) -> Order:
    """Return an order from its column values and its items' (each with ``position``)."""
    return Order(
        id=OrderId(record["id"]),
        buyer_id=record["buyer_id"],
        merchant_id=record["merchant_id"],
        supplier_id=record["supplier_id"],
        sku=record["sku"],
        product_kind=ProductKind(record["product_kind"]),
        items=tuple(
            OrderItem(i["item_id"], i["secret_enc"], i["account_enc"], i["activated_at"], i.get("key_digest"))
            for i in sorted(items, key=lambda i: int(i["position"]))
        ),
        amount=Money(record["amount_fen"]),
        payment_route=PaymentRoute(record["payment_route"]),
        transaction_id=record["transaction_id"],
        paid_at=record["paid_at"],
        delivery_status=DeliveryStatus(record["delivery_status"]),
        delivered_at=record["delivered_at"],
        face_value=None if record["face_value_fen"] is None else Money(record["face_value_fen"]),
        title=record["title"],
        merchant_name=record["merchant_name"],
        supplier_name=record["supplier_name"],
    )


def _fields(row: Base) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in table(type(row)).columns}


def fill_order_row(row: OrderRow, order: Order) -> None:
    row.buyer_id = order.buyer_id
    row.merchant_id = order.merchant_id
    row.supplier_id = order.supplier_id
    row.sku = order.sku
    row.title = order.title
    row.merchant_name = order.merchant_name
    row.supplier_name = order.supplier_name
    row.product_kind = order.product_kind.value
    row.amount_fen = order.amount.fen
    row.face_value_fen = None if order.face_value is None else order.face_value.fen
    row.payment_route = order.payment_route.value
    row.transaction_id = order.transaction_id
    row.paid_at = order.paid_at
    row.delivery_status = order.delivery_status.value
    row.delivered_at = order.delivered_at


def event_from_record(record: Mapping[str, Any]) -> TimelineEvent:
    return TimelineEvent(
        at=record["at"],
        actor=record["actor"],
        role=Role(record["role"]),
        from_status=None if record["from_status"] is None else CaseStatus(record["from_status"]),
        to_status=CaseStatus(record["to_status"]),
        reason_codes=tuple(record["reason_codes"]),
        note=record["note"],
    )


def event_row(case_id: CaseId, event: TimelineEvent) -> CaseEventRow:
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
    return case_from_record(_fields(row), [_fields(e) for e in events])


def case_from_record(record: Mapping[str, Any], events: Sequence[Mapping[str, Any]]) -> Case:
    """Return a case from its column values and its events', oldest first."""
    return Case(
        id=CaseId(record["id"]),
        order_id=OrderId(record["order_id"]),
        buyer_id=record["buyer_id"],
        reason=Reason(record["reason"]),
        item_ids=tuple(record["item_ids"]),
        route=Route(record["route"]),
        status=CaseStatus(record["status"]),
        policy_version=record["policy_version"],
        created_at=record["created_at"],
        updated_at=record["updated_at"],
        refundable=Money(record["refundable_fen"]),
        fee=Money(record["fee_fen"]),
        liable=LiableParty(record["liable"]),
        description=record["description"],
        evidence_ids=tuple(EvidenceId(e) for e in record["evidence_ids"]),
        reason_codes=tuple(record["reason_codes"]),
        due_at=record["due_at"],
        appealed=bool(record["appealed"]),
        decided_by=record["decided_by"],
        escalations=int(record["escalations"]),
        escalated_at=record["escalated_at"],
        number=record.get("number") or "",
        timeline=tuple(event_from_record(e) for e in events),
    )


def fill_case_row(row: CaseRow, case: Case) -> None:
    row.status = case.status.value
    row.updated_at = case.updated_at
    row.reason_codes = list(case.reason_codes)
    row.due_at = case.due_at
    row.appealed = case.appealed
    row.decided_by = case.decided_by
    row.escalations = case.escalations
    row.escalated_at = case.escalated_at
    row.evidence_ids = list(case.evidence_ids)
    row.refundable_fen = case.refundable.fen
    row.fee_fen = case.fee.fen
    row.liable = case.liable.value
    row.policy_version = case.policy_version


def decision_from_row(row: DecisionRow) -> Decision:
    return Decision(
        case_id=CaseId(row.case_id),
        action=DecisionAction(row.action),
        tier=Tier(row.tier),
        actor=row.actor,
        reason_codes=tuple(row.reason_codes),
        note=row.note,
        at=row.at,
    )


def payout_from_row(row: PayoutRow) -> Payout:
    return Payout(
        id=PayoutId(row.id),
        case_id=CaseId(row.case_id),
        order_id=OrderId(row.order_id),
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
        sent_at=row.sent_at,
        redirected_from=None if row.redirected_from is None else PayoutId(row.redirected_from),
        check_at=row.check_at,
    )


def fill_payout_row(row: PayoutRow, payout: Payout) -> None:
    row.status = payout.status.value
    row.attempts = payout.attempts
    row.voucher = payout.voucher
    row.failure = payout.failure
    row.updated_at = payout.updated_at
    row.sent_at = payout.sent_at
    row.check_at = payout.check_at


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
        redirected_from=payout.redirected_from,
    )
    fill_payout_row(row, payout)
    return row


def evidence_from_row(row: EvidenceRow) -> EvidenceRecord:
    return EvidenceRecord(
        id=EvidenceId(row.id),
        owner_id=row.owner_id,
        sha256=row.sha256,
        content_type=row.content_type,
        size=row.size,
        width=row.width,
        height=row.height,
        kind=None if row.kind is None else EvidenceKind(row.kind),
        case_id=None if row.case_id is None else CaseId(row.case_id),
        created_at=row.created_at,
    )
