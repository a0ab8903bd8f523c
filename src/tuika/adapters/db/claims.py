"""Repositories of the claim path, in hand-written SQL: orders, cases and idempotency keys."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, or_, select, true, update
from sqlalchemy.orm import Session

from tuika.adapters.db import mapping
from tuika.adapters.db.raw import Raw, Sql, raw_for
from tuika.adapters.db.tables import (
    CaseEventRow,
    CaseItemRow,
    CaseRow,
    DecisionRow,
    OrderItemRow,
    OrderRow,
)
from tuika.domain.cases import HOLDS_ITEMS, Case, CaseStatus, Decision, DecisionAction, Tier, TimelineEvent
from tuika.domain.errors import DuplicateKey, ItemsAlreadyClaimed, StaleState
from tuika.domain.history import BuyerHistory, rejected_as_abuse
from tuika.domain.ids import CaseId, OrderId
from tuika.domain.orders import Order
from tuika.services.ports import CaseFilter, OrderFilter, QueueFilter

# The claim path (order, its items, held items, idempotency, a new case and its first
# event) and case reads run as hand-written SQL: see ``raw`` for why.
_ORDER_COLUMNS = (
    "o.id, o.buyer_id, o.merchant_id, o.supplier_id, o.merchant_name, o.supplier_name, o.sku, o.title,"
    " o.product_kind, o.amount_fen, o.face_value_fen, o.payment_route, o.transaction_id, o.paid_at,"
    " o.delivery_status, o.delivered_at"
)
_ORDER_TIMES = ("paid_at", "delivered_at", "activated_at")
_ORDER = Sql.of(
    f"""SELECT {_ORDER_COLUMNS}, i.item_id, i.position, i.secret_enc, i.account_enc, i.activated_at, i.key_digest
    FROM orders o LEFT JOIN order_items i ON i.order_id = o.id WHERE o.id = :id""",
    times=_ORDER_TIMES,
)
_ORDER_LOCKED = Sql.of(
    f"""SELECT {_ORDER_COLUMNS}, i.item_id, i.position, i.secret_enc, i.account_enc, i.activated_at, i.key_digest
    FROM orders o LEFT JOIN order_items i ON i.order_id = o.id WHERE o.id = :id""",
    times=_ORDER_TIMES,
    postgres_suffix=" FOR UPDATE OF o",
)
_CASE_COLUMNS = (
    "id, order_id, buyer_id, reason, item_ids, route, status, policy_version, refundable_fen, fee_fen, liable,"
    " description, evidence_ids, reason_codes, due_at, appealed, decided_by, escalations, escalated_at,"
    " number, created_at, updated_at"
)
_CASE_TIMES = ("due_at", "escalated_at", "created_at", "updated_at")
_CASE_JSONS = ("item_ids", "evidence_ids", "reason_codes")
_CASE = Sql.of(f"SELECT {_CASE_COLUMNS} FROM cases WHERE id = :id", times=_CASE_TIMES, jsons=_CASE_JSONS)
_CASE_LOCKED = Sql.of(
    f"SELECT {_CASE_COLUMNS} FROM cases WHERE id = :id",
    times=_CASE_TIMES,
    jsons=_CASE_JSONS,
    postgres_suffix=" FOR UPDATE",
)
_EVENT_COLUMNS = "at, actor, role, from_status, to_status, reason_codes, note"
_CASE_EVENTS = Sql.of(
    f"SELECT {_EVENT_COLUMNS} FROM case_events WHERE case_id = :case_id ORDER BY id",
    times=("at",),
    jsons=("reason_codes",),
)
_HELD_ITEMS = Sql.of("SELECT item_id, case_id FROM case_items WHERE order_id = :order_id")
_INSERT_CASE = Sql.of(
    f"INSERT INTO cases ({_CASE_COLUMNS}) VALUES (" + ", ".join(":" + c.strip() for c in _CASE_COLUMNS.split(",")) + ")"
)
_INSERT_CASE_ITEM = Sql.of("INSERT INTO case_items (order_id, item_id, case_id) VALUES (:order_id, :item_id, :case_id)")
_INSERT_EVENT = Sql.of(
    f"INSERT INTO case_events (case_id, {_EVENT_COLUMNS})"
    " VALUES (:case_id, :at, :actor, :role, :from_status, :to_status, :reason_codes, :note)"
)
_IDEMPOTENCY = Sql.of("SELECT request_hash, case_id FROM idempotency_keys WHERE subject = :subject AND key = :key")
_INSERT_IDEMPOTENCY = Sql.of(
    "INSERT INTO idempotency_keys (subject, key, request_hash, case_id, created_at)"
    " VALUES (:subject, :key, :request_hash, :case_id, :created_at)"
)
_CASE_DECISIONS = select(DecisionRow).where(DecisionRow.case_id == bindparam("case_id")).order_by(DecisionRow.id)


class SqlOrderRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def ids_between(self, low: str, high: str, limit: int) -> list[OrderId]:
        """Return up to ``limit`` order ids from ``low`` (inclusive) to ``high`` (exclusive), a range of the key."""
        query = select(OrderRow.id).where(OrderRow.id >= low, OrderRow.id < high).order_by(OrderRow.id).limit(limit)
        return [OrderId(i) for i in self.s.scalars(query)]

    def get(self, order_id: OrderId, *, lock: bool = False) -> Order | None:
        """Return the order, locking its row for the transaction when asked."""
        records = raw_for(self.s).records(_ORDER_LOCKED if lock else _ORDER, {"id": order_id})
        if not records:
            return None
        items = [r for r in records if r["item_id"] is not None]
        return mapping.order_from_record(records[0], items)

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
            irow.key_digest = item.lookup
            irow.account_enc = item.account_enc
            irow.account = None  # a clear account left by an upgrade goes with the first new push
            irow.activated_at = item.activated_at
        for stale in existing.values():
            self.s.delete(stale)
        self.s.flush()
        return created

    def replace_key(self, order_id: OrderId, item_id: str, secret: str, lookup: str | None) -> None:
        """Put a new card key (sealed, with its look-up digest) on an item in place of its old one."""
        self.s.execute(
            update(OrderItemRow)
            .where(OrderItemRow.order_id == order_id, OrderItemRow.item_id == item_id)
            .values(secret_enc=secret, key_digest=lookup)
            .execution_options(synchronize_session=False)
        )

    def clear_accounts(self, limit: int) -> list[tuple[OrderId, str, str]]:
        """Return (order id, item id, account) of up to ``limit`` items whose account is still in clear."""
        query = (
            select(OrderItemRow.order_id, OrderItemRow.item_id, OrderItemRow.account)
            .where(OrderItemRow.account.is_not(None))
            .order_by(OrderItemRow.order_id, OrderItemRow.item_id)
            .limit(limit)
        )
        return [(OrderId(order_id), item_id, str(account)) for order_id, item_id, account in self.s.execute(query)]

    def seal_account(self, order_id: OrderId, item_id: str, sealed: str) -> None:
        """Keep an item's account as ``sealed`` only, unless a push replaced the clear one meanwhile."""
        self.s.execute(
            update(OrderItemRow)
            .where(
                OrderItemRow.order_id == order_id,
                OrderItemRow.item_id == item_id,
                OrderItemRow.account.is_not(None),
            )
            .values(account_enc=sealed, account=None)
        )

    def items_by_digest(self, digests: Sequence[str]) -> list[tuple[OrderId, str]]:
        """Return (order id, item id) of the items whose card key has one of these digests."""
        if not digests:
            return []
        query = (
            select(OrderItemRow.order_id, OrderItemRow.item_id)
            .where(OrderItemRow.key_digest.in_(list(digests)))
            .order_by(OrderItemRow.order_id, OrderItemRow.item_id)
        )
        return [(OrderId(order_id), item_id) for order_id, item_id in self.s.execute(query)]

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

    def get(self, case_id: CaseId, *, lock: bool = False) -> Case | None:
        """Return the case with its timeline."""
        raw = raw_for(self.s)
        found = raw.records(_CASE_LOCKED if lock else _CASE, {"id": case_id})
        if not found:
            return None
        return mapping.case_from_record(found[0], raw.records(_CASE_EVENTS, {"case_id": case_id}))

    def add(self, case: Case) -> None:
        """Store a new case, its first timeline events, and its hold on the items."""
        raw = raw_for(self.s)
        try:
            raw.run(_INSERT_CASE, _case_values(raw, case))
        except raw.integrity_error as exc:
            # The one unique value a new case draws is its number: drawn twice, filing draws again.
            raise DuplicateKey(f"refund number {case.number} is taken") from exc
        self._hold(raw, case)
        raw.run_many(_INSERT_EVENT, [_event_values(raw, case.id, e) for e in case.timeline])

    def _hold(self, raw: Raw, case: Case) -> None:
        held = self.held_items(case.order_id)
        taken = sorted(i for i in case.item_ids if held.get(i, case.id) != case.id)
        if taken:
            raise ItemsAlreadyClaimed(f"items {', '.join(taken)} are in another claim", items=taken)
        new = [{"order_id": case.order_id, "item_id": i, "case_id": case.id} for i in case.item_ids if i not in held]
        try:
            raw.run_many(_INSERT_CASE_ITEM, new)
        except raw.integrity_error as exc:
            # Another transaction held an item between our read and our write (SQLite
            # cannot get here: BEGIN IMMEDIATE serialises writers).
            raise ItemsAlreadyClaimed(f"items of order {case.order_id} were claimed concurrently") from exc

    def save(self, case: Case, expected: CaseStatus, event: TimelineEvent, *, escalations: int | None = None) -> None:
        """Store the case if it is still in ``expected`` (compare-and-set), with its new event.

        With ``escalations``, only if it was escalated that many times too: two sweeps that read
        the same overdue case escalate it once.
        """
        row = CaseRow(id=case.id)
        mapping.fill_case_row(row, case)
        values = {c: getattr(row, c) for c in _CASE_MUTABLE}
        unchanged = [CaseRow.id == case.id, CaseRow.status == expected.value]
        if escalations is not None:
            unchanged.append(CaseRow.escalations == escalations)
        result = self.s.execute(update(CaseRow).where(*unchanged).values(**values))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleState(f"case {case.id} is no longer {expected.value}")
        if case.status in HOLDS_ITEMS and expected not in HOLDS_ITEMS:
            self._hold(raw_for(self.s), case)
        elif case.status not in HOLDS_ITEMS:
            self.s.execute(delete(CaseItemRow).where(CaseItemRow.case_id == case.id))
        self.s.add(mapping.event_row(case.id, event))
        self.s.flush()

    def search(self, where: CaseFilter) -> list[Case]:
        """Return cases matching the filter, in id order after the cursor (newest first, before it, if asked)."""
        newest = where.newest_first
        query = select(CaseRow).order_by(CaseRow.id.desc() if newest else CaseRow.id).limit(where.limit)
        if where.buyer_id:
            query = query.where(CaseRow.buyer_id == where.buyer_id)
        if where.statuses:
            query = query.where(CaseRow.status.in_([s.value for s in where.statuses]))
        if where.number:
            query = query.where(CaseRow.number == where.number)
        if where.order_id:
            query = query.where(CaseRow.order_id == where.order_id)
        if where.merchant_id:
            sold = OrderRow.merchant_id == where.merchant_id
            query = query.join(OrderRow, OrderRow.id == CaseRow.order_id).where(sold)
        if where.updated_after is not None:
            query = query.where(CaseRow.updated_at > where.updated_after)
        if where.after:
            query = query.where(CaseRow.id < where.after if newest else CaseRow.id > where.after)
        return self._with_events(list(self.s.scalars(query)))

    def _with_events(self, rows: list[CaseRow]) -> list[Case]:
        if not rows:
            return []
        events: dict[str, list[CaseEventRow]] = {r.id: [] for r in rows}
        query = select(CaseEventRow).where(CaseEventRow.case_id.in_(events)).order_by(CaseEventRow.id)
        for event in self.s.scalars(query):
            events[event.case_id].append(event)
        return [mapping.case_from_row(r, events[r.id]) for r in rows]

    def queue(self, statuses: Sequence[CaseStatus], limit: int, where: QueueFilter | None = None) -> list[Case]:
        """Return open cases in the given statuses that pass ``where``, the earliest deadline first.

        So the overdue lead, the most overdue first, and with them every escalated case: a case
        is escalated only past its deadline, and a move that sets a new one ends its escalation.
        The ``(status, due_at)`` index serves the order.
        """
        query = select(CaseRow).where(CaseRow.status.in_([s.value for s in statuses]))
        if where is not None:
            if where.reason is not None:
                query = query.where(CaseRow.reason == where.reason.value)
            if where.min_amount is not None:
                query = query.where(CaseRow.refundable_fen >= where.min_amount.fen)
            if where.max_amount is not None:
                query = query.where(CaseRow.refundable_fen <= where.max_amount.fen)
            if where.product_kind is not None or where.merchant_id is not None:
                query = query.join(OrderRow, OrderRow.id == CaseRow.order_id)
                if where.product_kind is not None:
                    query = query.where(OrderRow.product_kind == where.product_kind.value)
                if where.merchant_id is not None:
                    query = query.where(OrderRow.merchant_id == where.merchant_id)
        query = query.order_by(CaseRow.due_at.is_(None), CaseRow.due_at, CaseRow.id).limit(limit)
        return self._with_events(list(self.s.scalars(query)))

    def ids_due(self, statuses: Sequence[CaseStatus], due_before: datetime, limit: int) -> list[CaseId]:
        """Return ids of cases in a status whose deadline has passed."""
        query = (
            select(CaseRow.id)
            .where(CaseRow.status.in_([s.value for s in statuses]), CaseRow.due_at < due_before)
            .order_by(CaseRow.due_at)
            .limit(limit)
        )
        return [CaseId(i) for i in self.s.scalars(query)]

    def ids_to_escalate(self, since: Mapping[CaseStatus, datetime], now: datetime, limit: int) -> list[CaseId]:
        """Return ids of cases past their deadline and not escalated since their status's time, most overdue first."""
        if not since:
            return []
        # Each status has its own period; the (status, due_at) index finds the overdue ones.
        per_status = [
            and_(
                CaseRow.status == status.value,
                or_(CaseRow.escalated_at.is_(None), CaseRow.escalated_at <= before),
            )
            for status, before in since.items()
        ]
        query = (
            select(CaseRow.id)
            .where(CaseRow.status.in_([s.value for s in since]), CaseRow.due_at < now, or_(*per_status))
            .order_by(CaseRow.due_at, CaseRow.id)
            .limit(limit)
        )
        return [CaseId(i) for i in self.s.scalars(query)]

    def for_order(self, order_id: OrderId) -> list[Case]:
        """Return every case on an order."""
        query = select(CaseRow).where(CaseRow.order_id == order_id).order_by(CaseRow.id)
        return self._with_events(list(self.s.scalars(query)))

    def held_items(self, order_id: OrderId) -> dict[str, CaseId]:
        """Return item id → case id for the order's items held by live claims."""
        return {
            r["item_id"]: CaseId(r["case_id"]) for r in raw_for(self.s).records(_HELD_ITEMS, {"order_id": order_id})
        }

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

    def buyer_history(self, buyer_id: str, since: datetime, excluding: CaseId | None) -> BuyerHistory:
        """Count the buyer's claims (but ``excluding``) filed since a time, and those a person rejected (as abuse)."""
        # A pre-check has no case of its own to leave out yet.
        other = CaseRow.id != excluding if excluding is not None else true()
        query = select(CaseRow.status, func.count()).where(
            CaseRow.buyer_id == buyer_id, CaseRow.created_at >= since, other
        )
        by_status = {status: int(n) for status, n in self.s.execute(query.group_by(CaseRow.status))}
        rejected = by_status.get(CaseStatus.REJECTED.value, 0)
        last_rejection: dict[str, tuple[str, list[str]]] = {}
        if rejected:
            # A rejected case's last rejection says who rejected it and why; an appeal a person
            # upheld adds a later one.
            rows = self.s.execute(
                select(DecisionRow.case_id, DecisionRow.tier, DecisionRow.reason_codes)
                .join(CaseRow, CaseRow.id == DecisionRow.case_id)
                .where(
                    CaseRow.buyer_id == buyer_id,
                    CaseRow.created_at >= since,
                    other,
                    CaseRow.status == CaseStatus.REJECTED.value,
                    DecisionRow.action == DecisionAction.REJECT.value,
                )
                .order_by(DecisionRow.at, DecisionRow.id)
            )
            last_rejection = {case_id: (tier, list(codes or [])) for case_id, tier, codes in rows}
        by_person = [codes for tier, codes in last_rejection.values() if tier != Tier.AUTO.value]
        return BuyerHistory(
            claims=sum(by_status.values()),
            approved=sum(by_status.get(s.value, 0) for s in _PAID_STATUSES),
            rejected=len(by_person),
            abuse=sum(rejected_as_abuse(codes) for codes in by_person),
        )

    def decisions(self, case_id: CaseId) -> list[Decision]:
        """Return a case's decisions, oldest first."""
        return [mapping.decision_from_row(r) for r in self.s.scalars(_CASE_DECISIONS, {"case_id": case_id})]


_PAID_STATUSES = (CaseStatus.APPROVED, CaseStatus.REFUNDING, CaseStatus.REFUNDED)
_CASE_MUTABLE = (
    "status",
    "updated_at",
    "reason_codes",
    "due_at",
    "appealed",
    "decided_by",
    "escalations",
    "escalated_at",
    "evidence_ids",
    "refundable_fen",
    "fee_fen",
    "liable",
    "policy_version",
)


class SqlIdempotencyRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def get(self, subject: str, key: str) -> tuple[str, CaseId] | None:
        """Return (request hash, case id) stored under a key."""
        found = raw_for(self.s).records(_IDEMPOTENCY, {"subject": subject, "key": key})
        return None if not found else (found[0]["request_hash"], CaseId(found[0]["case_id"]))

    def add(self, subject: str, key: str, request_hash: str, case_id: CaseId, at: datetime) -> None:
        """Remember which case a key created."""
        raw = raw_for(self.s)
        values = {
            "subject": subject,
            "key": key,
            "request_hash": request_hash,
            "case_id": case_id,
            "created_at": raw.time_in(at),
        }
        try:
            raw.run(_INSERT_IDEMPOTENCY, values)
        except raw.integrity_error as exc:
            raise DuplicateKey(f"idempotency key {key!r} stored concurrently") from exc


def _case_values(raw: Raw, case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "order_id": case.order_id,
        "buyer_id": case.buyer_id,
        "reason": case.reason.value,
        "item_ids": raw.json_in(list(case.item_ids)),
        "route": case.route.value,
        "status": case.status.value,
        "policy_version": case.policy_version,
        "refundable_fen": case.refundable.fen,
        "fee_fen": case.fee.fen,
        "liable": case.liable.value,
        "description": case.description,
        "evidence_ids": raw.json_in(list(case.evidence_ids)),
        "reason_codes": raw.json_in(list(case.reason_codes)),
        "due_at": raw.time_in(case.due_at),
        "appealed": case.appealed,
        "decided_by": case.decided_by,
        "escalations": case.escalations,
        # None where a case has no number (one built in a test): unique indexes let nulls repeat.
        "number": case.number or None,
        "escalated_at": raw.time_in(case.escalated_at),
        "created_at": raw.time_in(case.created_at),
        "updated_at": raw.time_in(case.updated_at),
    }


def _event_values(raw: Raw, case_id: CaseId, event: TimelineEvent) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "at": raw.time_in(event.at),
        "actor": event.actor,
        "role": event.role.value,
        "from_status": None if event.from_status is None else event.from_status.value,
        "to_status": event.to_status.value,
        "reason_codes": raw.json_in(list(event.reason_codes)),
        "note": event.note,
    }
