"""Repositories: load and store domain objects. They never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tuika.adapters.db import mapping
from tuika.adapters.db.tables import (
    CaseEventRow,
    CaseItemRow,
    CaseRow,
    DecisionRow,
    EntryRow,
    EvidenceRow,
    IdempotencyRow,
    OrderItemRow,
    OrderRow,
    PayoutRow,
    PolicyRow,
    PostingRow,
)
from tuika.domain.cases import HOLDS_ITEMS, Case, CaseStatus, Decision, TimelineEvent
from tuika.domain.errors import ItemsAlreadyClaimed, StaleState
from tuika.domain.ids import new_id
from tuika.domain.ledger import Entry, Posting
from tuika.domain.money import Money
from tuika.domain.orders import Order
from tuika.domain.payouts import Payout, PayoutStatus
from tuika.services.ports import CaseFilter, DuplicateKey, EvidenceRecord, OrderFilter

# The queries of the claim path, built once: SQLAlchemy then reuses their cache keys and
# compiled SQL, where a statement built per call costs more CPU than the round trip itself.
_ORDER = select(OrderRow).where(OrderRow.id == bindparam("id"))
_ORDER_LOCKED = _ORDER.with_for_update()
_ORDER_ITEMS = select(OrderItemRow).where(OrderItemRow.order_id == bindparam("order_id"))
_CASE = select(CaseRow).where(CaseRow.id == bindparam("id"))
_CASE_LOCKED = _CASE.with_for_update()
_CASE_EVENTS = select(CaseEventRow).where(CaseEventRow.case_id == bindparam("case_id")).order_by(CaseEventRow.id)
_HELD_ITEMS = select(CaseItemRow).where(CaseItemRow.order_id == bindparam("order_id"))
_CASE_DECISIONS = select(DecisionRow).where(DecisionRow.case_id == bindparam("case_id")).order_by(DecisionRow.id)
_CASE_PAYOUTS = select(PayoutRow).where(PayoutRow.case_id == bindparam("case_id")).order_by(PayoutRow.id)
_CASE_EVIDENCE = select(EvidenceRow).where(EvidenceRow.case_id == bindparam("case_id")).order_by(EvidenceRow.id)
_LATEST_POLICY = select(PolicyRow).order_by(PolicyRow.version.desc()).limit(1)
_IDEMPOTENCY = select(IdempotencyRow.request_hash, IdempotencyRow.case_id).where(
    IdempotencyRow.subject == bindparam("subject"), IdempotencyRow.key == bindparam("key")
)
_INSERT_CASE = insert(mapping.table(CaseRow))
_INSERT_CASE_ITEM = insert(mapping.table(CaseItemRow))
_INSERT_EVENT = insert(mapping.table(CaseEventRow))
_INSERT_IDEMPOTENCY = insert(mapping.table(IdempotencyRow))


class SqlOrderRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def get(self, order_id: str, *, lock: bool = False) -> Order | None:
        """Return the order, locking its row for the transaction when asked."""
        row = self.s.scalars(_ORDER_LOCKED if lock else _ORDER, {"id": order_id}).one_or_none()
        if row is None:
            return None
        items = self.s.scalars(_ORDER_ITEMS, {"order_id": order_id}).all()
        return mapping.order_from_rows(row, list(items))

    def upsert(self, order: Order) -> bool:
        """Insert or update the order; return True when it is new."""
        row = self.s.scalars(select(OrderRow).where(OrderRow.id == order.id).with_for_update()).one_or_none()
        created = row is None
        now = order.paid_at
        if row is None:
            row = OrderRow(id=order.id, created_at=now)
            self.s.add(row)
        mapping.fill_order_row(row, order)
        row.updated_at = max(now, order.delivered_at or now)
        self.s.flush()
        existing = {i.item_id: i for i in self.s.scalars(select(OrderItemRow).where(OrderItemRow.order_id == order.id))}
        for position, item in enumerate(order.items):
            irow = existing.pop(item.id, None)
            if irow is None:
                irow = OrderItemRow(order_id=order.id, item_id=item.id)
                self.s.add(irow)
            irow.position = position
            irow.secret_enc = item.secret
            irow.account = item.account
            irow.activated_at = item.activated_at
        for stale in existing.values():
            self.s.delete(stale)
        self.s.flush()
        return created

    def search(self, where: OrderFilter) -> list[Order]:
        """Return orders matching the filter, newest id last, after the cursor."""
        query = select(OrderRow).order_by(OrderRow.id).limit(where.limit)
        if where.buyer_id:
            query = query.where(OrderRow.buyer_id == where.buyer_id)
        if where.product_kind:
            query = query.where(OrderRow.product_kind == where.product_kind)
        if where.delivery_status:
            query = query.where(OrderRow.delivery_status == where.delivery_status)
        if where.after:
            query = query.where(OrderRow.id > where.after)
        rows = list(self.s.scalars(query))
        if not rows:
            return []
        items: dict[str, list[OrderItemRow]] = {r.id: [] for r in rows}
        for item in self.s.scalars(select(OrderItemRow).where(OrderItemRow.order_id.in_(items))):
            items[item.order_id].append(item)
        return [mapping.order_from_rows(r, items[r.id]) for r in rows]


class SqlCaseRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def get(self, case_id: str, *, lock: bool = False) -> Case | None:
        """Return the case with its timeline."""
        row = self.s.scalars(_CASE_LOCKED if lock else _CASE, {"id": case_id}).one_or_none()
        if row is None:
            return None
        return mapping.case_from_row(row, self._events(case_id))

    def _events(self, case_id: str) -> list[CaseEventRow]:
        return list(self.s.scalars(_CASE_EVENTS, {"case_id": case_id}))

    def add(self, case: Case) -> None:
        """Store a new case, its first timeline events, and its hold on the items."""
        # Plain INSERTs: a new row needs none of the ORM's change tracking, which costs
        # more CPU than the statements themselves on the busiest path of the API.
        self.s.execute(_INSERT_CASE, mapping.insert_values(mapping.new_case_row(case)))
        self._hold(case)
        if case.timeline:
            self.s.execute(_INSERT_EVENT, [mapping.insert_values(mapping.event_row(case.id, e)) for e in case.timeline])

    def _hold(self, case: Case) -> None:
        held = self.held_items(case.order_id)
        taken = sorted(i for i in case.item_ids if held.get(i, case.id) != case.id)
        if taken:
            raise ItemsAlreadyClaimed(f"items {', '.join(taken)} are in another claim", items=taken)
        new = [{"order_id": case.order_id, "item_id": i, "case_id": case.id} for i in case.item_ids if i not in held]
        if new:
            self.s.execute(_INSERT_CASE_ITEM, new)

    def save(self, case: Case, expected: CaseStatus, event: TimelineEvent) -> None:
        """Store the case if it is still in ``expected`` (compare-and-set), with its new event."""
        row = CaseRow(id=case.id)
        mapping.fill_case_row(row, case)
        values = {c: getattr(row, c) for c in _CASE_MUTABLE}
        result = self.s.execute(
            update(CaseRow).where(CaseRow.id == case.id, CaseRow.status == expected.value).values(**values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleState(f"case {case.id} is no longer {expected.value}")
        if case.status in HOLDS_ITEMS and expected not in HOLDS_ITEMS:
            self._hold(case)
        elif case.status not in HOLDS_ITEMS:
            self.s.execute(delete(CaseItemRow).where(CaseItemRow.case_id == case.id))
        self.s.add(mapping.event_row(case.id, event))
        self.s.flush()

    def search(self, where: CaseFilter) -> list[Case]:
        """Return cases matching the filter, in id order after the cursor."""
        query = select(CaseRow).order_by(CaseRow.id).limit(where.limit)
        if where.buyer_id:
            query = query.where(CaseRow.buyer_id == where.buyer_id)
        if where.statuses:
            query = query.where(CaseRow.status.in_([s.value for s in where.statuses]))
        if where.after:
            query = query.where(CaseRow.id > where.after)
        return self._with_events(list(self.s.scalars(query)))

    def _with_events(self, rows: list[CaseRow]) -> list[Case]:
        if not rows:
            return []
        events: dict[str, list[CaseEventRow]] = {r.id: [] for r in rows}
        query = select(CaseEventRow).where(CaseEventRow.case_id.in_(events)).order_by(CaseEventRow.id)
        for event in self.s.scalars(query):
            events[event.case_id].append(event)
        return [mapping.case_from_row(r, events[r.id]) for r in rows]

    def queue(self, statuses: Sequence[CaseStatus], limit: int) -> list[Case]:
        """Return open cases in the given statuses, the earliest deadline first."""
        query = (
            select(CaseRow)
            .where(CaseRow.status.in_([s.value for s in statuses]))
            .order_by(CaseRow.due_at.is_(None), CaseRow.due_at, CaseRow.id)
            .limit(limit)
        )
        return self._with_events(list(self.s.scalars(query)))

    def ids_in(self, statuses: Sequence[CaseStatus], updated_before: datetime, limit: int) -> list[str]:
        """Return ids of cases left in a status since before a time."""
        query = (
            select(CaseRow.id)
            .where(CaseRow.status.in_([s.value for s in statuses]), CaseRow.updated_at < updated_before)
            .order_by(CaseRow.updated_at)
            .limit(limit)
        )
        return list(self.s.scalars(query))

    def ids_due(self, statuses: Sequence[CaseStatus], due_before: datetime, limit: int) -> list[str]:
        """Return ids of cases in a status whose deadline has passed."""
        query = (
            select(CaseRow.id)
            .where(CaseRow.status.in_([s.value for s in statuses]), CaseRow.due_at < due_before)
            .order_by(CaseRow.due_at)
            .limit(limit)
        )
        return list(self.s.scalars(query))

    def for_order(self, order_id: str) -> list[Case]:
        """Return every case on an order."""
        query = select(CaseRow).where(CaseRow.order_id == order_id).order_by(CaseRow.id)
        return self._with_events(list(self.s.scalars(query)))

    def held_items(self, order_id: str) -> dict[str, str]:
        """Return item id → case id for the order's items held by live claims."""
        return {r.item_id: r.case_id for r in self.s.scalars(_HELD_ITEMS, {"order_id": order_id})}

    def add_decision(self, decision: Decision) -> None:
        """Record a decision."""
        self.s.add(
            DecisionRow(
                case_id=decision.case_id,
                action=decision.action.value,
                tier=decision.tier.value,
                actor=decision.actor,
                reason_codes=list(decision.reason_codes),
                note=decision.note,
                at=decision.at,
            )
        )
        self.s.flush()

    def decisions(self, case_id: str) -> list[Decision]:
        """Return a case's decisions, oldest first."""
        return [mapping.decision_from_row(r) for r in self.s.scalars(_CASE_DECISIONS, {"case_id": case_id})]


_CASE_MUTABLE = (
    "status",
    "updated_at",
    "reason_codes",
    "due_at",
    "appealed",
    "decided_by",
    "evidence_ids",
    "refundable_fen",
    "fee_fen",
    "liable",
    "policy_version",
)


class SqlPayoutRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def get(self, payout_id: str, *, lock: bool = False) -> Payout | None:
        """Return the payout."""
        query = select(PayoutRow).where(PayoutRow.id == payout_id)
        row = self.s.scalars(query.with_for_update() if lock else query).one_or_none()
        return None if row is None else mapping.payout_from_row(row)

    def add(self, payout: Payout) -> None:
        """Store a new payout."""
        self.s.add(mapping.new_payout_row(payout))
        self.s.flush()

    def save(self, payout: Payout, expected: PayoutStatus) -> None:
        """Store the payout if it is still in ``expected`` (compare-and-set)."""
        result = self.s.execute(
            update(PayoutRow)
            .where(PayoutRow.id == payout.id, PayoutRow.status == expected.value)
            .values(
                status=payout.status.value,
                attempts=payout.attempts,
                voucher=payout.voucher,
                failure=payout.failure,
                updated_at=payout.updated_at,
            )
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleState(f"payout {payout.id} is no longer {expected.value}")

    def for_order(self, order_id: str) -> list[Payout]:
        """Return every payout of an order."""
        query = select(PayoutRow).where(PayoutRow.order_id == order_id).order_by(PayoutRow.id)
        return [mapping.payout_from_row(r) for r in self.s.scalars(query)]

    def for_case(self, case_id: str) -> list[Payout]:
        """Return every payout of a case."""
        return [mapping.payout_from_row(r) for r in self.s.scalars(_CASE_PAYOUTS, {"case_id": case_id})]

    def ids_in(self, statuses: Sequence[PayoutStatus], updated_before: datetime, limit: int) -> list[str]:
        """Return ids of payouts left in a status since before a time."""
        query = (
            select(PayoutRow.id)
            .where(PayoutRow.status.in_([s.value for s in statuses]), PayoutRow.updated_at < updated_before)
            .order_by(PayoutRow.updated_at)
            .limit(limit)
        )
        return list(self.s.scalars(query))


class SqlEvidenceRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, record: EvidenceRecord) -> None:
        """Store an evidence record."""
        self.s.add(
            EvidenceRow(
                id=record.id,
                owner_id=record.owner_id,
                sha256=record.sha256,
                content_type=record.content_type,
                size=record.size,
                width=record.width,
                height=record.height,
                kind=None if record.kind is None else record.kind.value,
                case_id=record.case_id,
                created_at=record.created_at,
            )
        )
        self.s.flush()

    def get(self, evidence_id: str) -> EvidenceRecord | None:
        """Return an evidence record."""
        row = self.s.get(EvidenceRow, evidence_id)
        return None if row is None else mapping.evidence_from_row(row)

    def attach(self, evidence_ids: Sequence[str], case_id: str) -> None:
        """Link evidence to the case it backs."""
        if evidence_ids:
            self.s.execute(update(EvidenceRow).where(EvidenceRow.id.in_(evidence_ids)).values(case_id=case_id))

    def for_case(self, case_id: str) -> list[EvidenceRecord]:
        """Return the evidence of a case."""
        return [mapping.evidence_from_row(r) for r in self.s.scalars(_CASE_EVIDENCE, {"case_id": case_id})]


class SqlLedgerRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def post(self, posting: Posting, kind: str, at: datetime) -> bool:
        """Write a balanced posting once per payout and kind; return False if it was there."""
        if posting.payout_id is not None:
            exists = select(PostingRow.id).where(PostingRow.payout_id == posting.payout_id, PostingRow.kind == kind)
            if self.s.scalars(exists).first() is not None:
                return False
        posting_id = new_id("lp")
        self.s.add(PostingRow(id=posting_id, memo=posting.memo, payout_id=posting.payout_id, kind=kind, created_at=at))
        self.s.flush()
        for entry in posting.entries:
            self.s.add(EntryRow(posting_id=posting_id, account=entry.account, amount_fen=entry.amount.fen))
        self.s.flush()
        return True

    def entries(self, account: str, limit: int = 100) -> list[tuple[datetime, str, Entry]]:
        """Return the newest entries of an account with their time and memo."""
        query = (
            select(EntryRow, PostingRow)
            .join(PostingRow, PostingRow.id == EntryRow.posting_id)
            .where(EntryRow.account == account)
            .order_by(EntryRow.id.desc())
            .limit(limit)
        )
        return [(p.created_at, p.memo, Entry(e.account, Money(e.amount_fen))) for e, p in self.s.execute(query)]

    def balance(self, account: str) -> Money:
        """Return an account's balance, derived from its entries."""
        total = self.s.scalar(
            select(func.coalesce(func.sum(EntryRow.amount_fen), 0)).where(EntryRow.account == account)
        )
        return Money(int(total or 0))

    def total(self) -> Money:
        """Return the sum of every entry: zero in a balanced journal."""
        return Money(int(self.s.scalar(select(func.coalesce(func.sum(EntryRow.amount_fen), 0))) or 0))


class SqlPolicyRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def latest(self) -> tuple[int, dict[str, Any]] | None:
        """Return the newest published version and its document."""
        row = self.s.scalars(_LATEST_POLICY).first()
        return None if row is None else (row.version, row.document)

    def get(self, version: int) -> dict[str, Any] | None:
        """Return the document of a version."""
        row = self.s.get(PolicyRow, version)
        return None if row is None else row.document

    def add(self, version: int, title: str, document: dict[str, Any], by: str, at: datetime) -> None:
        """Publish a version."""
        self.s.add(PolicyRow(version=version, title=title, document=document, published_by=by, published_at=at))
        self.s.flush()


class SqlIdempotencyRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def get(self, subject: str, key: str) -> tuple[str, str] | None:
        """Return (request hash, case id) stored under a key."""
        row = self.s.execute(_IDEMPOTENCY, {"subject": subject, "key": key}).first()
        return None if row is None else (row.request_hash, row.case_id)

    def add(self, subject: str, key: str, request_hash: str, case_id: str, at: datetime) -> None:
        """Remember which case a key created."""
        values = {"subject": subject, "key": key, "request_hash": request_hash, "case_id": case_id, "created_at": at}
        try:
            self.s.execute(_INSERT_IDEMPOTENCY, values)
        except IntegrityError as exc:
            raise DuplicateKey(f"idempotency key {key!r} stored concurrently") from exc
