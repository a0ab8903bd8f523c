"""Repositories: load and store domain objects. They never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from tuika.adapters.db import mapping
from tuika.adapters.db.raw import Raw, Sql, raw_for
from tuika.adapters.db.tables import (
    BandRow,
    CaseEventRow,
    CaseItemRow,
    CaseRow,
    DecisionRow,
    EntryRow,
    EvidenceRow,
    FindingRow,
    MarkRow,
    OrderItemRow,
    OrderRow,
    PayoutRow,
    PolicyRow,
    PostingRow,
    ReadRow,
)
from tuika.domain.cases import HOLDS_ITEMS, Case, CaseStatus, Decision, TimelineEvent
from tuika.domain.errors import ItemsAlreadyClaimed, StaleState
from tuika.domain.findings import Finding, FindingKind
from tuika.domain.history import BuyerHistory
from tuika.domain.ids import new_id
from tuika.domain.ledger import Entry, Posting
from tuika.domain.money import Money
from tuika.domain.orders import Order
from tuika.domain.payouts import Payout, PayoutStatus
from tuika.review.forensics import Marks, bands
from tuika.review.reading import EvidenceRead
from tuika.services.ports import CaseFilter, DuplicateKey, EvidenceRecord, OrderFilter

# The claim path (order, its items, held items, idempotency, a new case and its first
# event) and case reads run as hand-written SQL: see ``raw`` for why.
_ORDER_COLUMNS = (
    "o.id, o.buyer_id, o.merchant_id, o.supplier_id, o.sku, o.title, o.product_kind, o.amount_fen,"
    " o.face_value_fen, o.payment_route, o.transaction_id, o.paid_at, o.delivery_status, o.delivered_at"
)
_ORDER_TIMES = ("paid_at", "delivered_at", "activated_at")
_ORDER = Sql.of(
    f"""SELECT {_ORDER_COLUMNS}, i.item_id, i.position, i.secret_enc, i.account, i.activated_at, i.key_digest
    FROM orders o LEFT JOIN order_items i ON i.order_id = o.id WHERE o.id = :id""",
    times=_ORDER_TIMES,
)
_ORDER_LOCKED = Sql.of(
    f"""SELECT {_ORDER_COLUMNS}, i.item_id, i.position, i.secret_enc, i.account, i.activated_at, i.key_digest
    FROM orders o LEFT JOIN order_items i ON i.order_id = o.id WHERE o.id = :id""",
    times=_ORDER_TIMES,
    postgres_suffix=" FOR UPDATE OF o",
)
_CASE_COLUMNS = (
    "id, order_id, buyer_id, reason, item_ids, route, status, policy_version, refundable_fen, fee_fen, liable,"
    " description, evidence_ids, reason_codes, due_at, appealed, decided_by, created_at, updated_at"
)
_CASE_TIMES = ("due_at", "created_at", "updated_at")
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
_LATEST_POLICY = Sql.of("SELECT max(version) AS version FROM policies")
_CASE_DECISIONS = select(DecisionRow).where(DecisionRow.case_id == bindparam("case_id")).order_by(DecisionRow.id)
_CASE_PAYOUTS = select(PayoutRow).where(PayoutRow.case_id == bindparam("case_id")).order_by(PayoutRow.id)
_CASE_EVIDENCE = select(EvidenceRow).where(EvidenceRow.case_id == bindparam("case_id")).order_by(EvidenceRow.id)


class SqlOrderRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def get(self, order_id: str, *, lock: bool = False) -> Order | None:
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
            irow.account = item.account
            irow.activated_at = item.activated_at
        for stale in existing.values():
            self.s.delete(stale)
        self.s.flush()
        return created

    def items_by_digest(self, digests: Sequence[str]) -> list[tuple[str, str]]:
        """Return (order id, item id) of the items whose card key has one of these digests."""
        if not digests:
            return []
        query = (
            select(OrderItemRow.order_id, OrderItemRow.item_id)
            .where(OrderItemRow.key_digest.in_(list(digests)))
            .order_by(OrderItemRow.order_id, OrderItemRow.item_id)
        )
        return [(order_id, item_id) for order_id, item_id in self.s.execute(query)]

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
        raw = raw_for(self.s)
        found = raw.records(_CASE_LOCKED if lock else _CASE, {"id": case_id})
        if not found:
            return None
        return mapping.case_from_record(found[0], raw.records(_CASE_EVENTS, {"case_id": case_id}))

    def add(self, case: Case) -> None:
        """Store a new case, its first timeline events, and its hold on the items."""
        raw = raw_for(self.s)
        raw.run(_INSERT_CASE, _case_values(raw, case))
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
            self._hold(raw_for(self.s), case)
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
        return {r["item_id"]: r["case_id"] for r in raw_for(self.s).records(_HELD_ITEMS, {"order_id": order_id})}

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

    def buyer_history(self, buyer_id: str, since: datetime, excluding: str) -> BuyerHistory:
        """Count the buyer's other claims filed since a time, by how they ended."""
        query = select(CaseRow.status, func.count()).where(
            CaseRow.buyer_id == buyer_id, CaseRow.created_at >= since, CaseRow.id != excluding
        )
        by_status = {status: int(n) for status, n in self.s.execute(query.group_by(CaseRow.status))}
        flagged = self.s.scalar(
            select(func.count(func.distinct(FindingRow.case_id)))
            .join(CaseRow, CaseRow.id == FindingRow.case_id)
            .where(
                CaseRow.buyer_id == buyer_id,
                CaseRow.created_at >= since,
                CaseRow.id != excluding,
                FindingRow.kind == FindingKind.FORENSICS.value,
            )
        )
        approved = sum(by_status.get(s.value, 0) for s in _PAID_STATUSES)
        return BuyerHistory(
            claims=sum(by_status.values()),
            approved=approved,
            rejected=by_status.get(CaseStatus.REJECTED.value, 0),
            flagged=int(flagged or 0),
        )

    def decisions(self, case_id: str) -> list[Decision]:
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

    def backing_other_cases(self, sha256s: Sequence[str], case_id: str) -> list[tuple[str, str]]:
        """Return (sha256, case id) for the same files backing other cases."""
        if not sha256s:
            return []
        query = (
            select(EvidenceRow.sha256, EvidenceRow.case_id)
            .where(
                EvidenceRow.sha256.in_(list(sha256s)), EvidenceRow.case_id.is_not(None), EvidenceRow.case_id != case_id
            )
            .order_by(EvidenceRow.case_id)
        )
        return [(sha, str(other)) for sha, other in self.s.execute(query)]

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

    def latest_version(self) -> int | None:
        """Return the newest published version."""
        version = raw_for(self.s).records(_LATEST_POLICY, {})[0]["version"]
        return None if version is None else int(version)

    def get(self, version: int) -> dict[str, Any] | None:
        """Return the document of a version."""
        row = self.s.get(PolicyRow, version)
        return None if row is None else row.document

    def add(self, version: int, title: str, document: dict[str, Any], by: str, at: datetime) -> None:
        """Publish a version."""
        self.s.add(PolicyRow(version=version, title=title, document=document, published_by=by, published_at=at))
        self.s.flush()


class SqlFindingRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, case_id: str, findings: Sequence[Finding]) -> None:
        """Record what the machine found."""
        for f in findings:
            self.s.add(
                FindingRow(
                    case_id=case_id,
                    kind=f.kind.value,
                    subject=f.subject,
                    facts=dict(f.facts),
                    codes=list(f.codes),
                    at=f.at,
                )
            )
        self.s.flush()

    def for_case(self, case_id: str) -> list[Finding]:
        """Return a case's findings, oldest first."""
        rows = self.s.scalars(select(FindingRow).where(FindingRow.case_id == case_id).order_by(FindingRow.id))
        return [Finding(FindingKind(r.kind), r.subject, r.at, dict(r.facts), tuple(r.codes)) for r in rows]


class SqlMarkRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, case_id: str, marked: Sequence[tuple[EvidenceRecord, Marks]]) -> None:
        """Keep each file's marks and its hash's bands."""
        for record, found in marked:
            self.s.add(
                MarkRow(
                    evidence_id=record.id,
                    case_id=case_id,
                    sha256=record.sha256,
                    phash=found.phash,
                    software=found.software,
                )
            )
        self.s.flush()
        for record, found in marked:
            for band, value in enumerate(bands(found.phash)):
                self.s.add(BandRow(evidence_id=record.id, band=band, value=value))
        self.s.flush()

    def marked(self, case_id: str) -> set[str]:
        """Return the ids of a case's files that already have marks."""
        return set(self.s.scalars(select(MarkRow.evidence_id).where(MarkRow.case_id == case_id)))

    def near(self, phash: str, case_id: str) -> list[tuple[str, str, str, str]]:
        """Return (evidence id, case id, sha256, phash) of other cases' files sharing a band with ``phash``."""
        shared = [and_(BandRow.band == band, BandRow.value == value) for band, value in enumerate(bands(phash))]
        query = (
            select(MarkRow.evidence_id, MarkRow.case_id, MarkRow.sha256, MarkRow.phash)
            .where(MarkRow.case_id != case_id, MarkRow.evidence_id.in_(select(BandRow.evidence_id).where(or_(*shared))))
            .order_by(MarkRow.evidence_id)
        )
        return [(e, c, sha, ph) for e, c, sha, ph in self.s.execute(query)]


class SqlReadRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, case_id: str, reads: Sequence[EvidenceRead]) -> None:
        """Keep what OCR read from each piece of evidence."""
        for r in reads:
            self.s.add(
                ReadRow(
                    case_id=case_id,
                    evidence_id=r.evidence_id,
                    engine=r.engine,
                    lines=[[text, list(box), confidence] for text, box, confidence in r.lines],
                    fields={k: list(v) for k, v in r.fields.items()},
                    matches=[dict(m) for m in r.matches],
                    codes=list(r.codes),
                    at=r.at,
                )
            )
        self.s.flush()

    def for_case(self, case_id: str) -> list[EvidenceRead]:
        """Return the reads of a case's evidence, in the order they were made."""
        rows = self.s.scalars(select(ReadRow).where(ReadRow.case_id == case_id).order_by(ReadRow.id))
        return [
            EvidenceRead(
                evidence_id=r.evidence_id,
                engine=r.engine,
                lines=tuple((str(t), (int(b[0]), int(b[1]), int(b[2]), int(b[3])), float(c)) for t, b, c in r.lines),
                fields={k: tuple(v) for k, v in r.fields.items()},
                matches=tuple(r.matches),
                codes=tuple(r.codes),
                at=r.at,
            )
            for r in rows
        ]


class SqlIdempotencyRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def get(self, subject: str, key: str) -> tuple[str, str] | None:
        """Return (request hash, case id) stored under a key."""
        found = raw_for(self.s).records(_IDEMPOTENCY, {"subject": subject, "key": key})
        return None if not found else (found[0]["request_hash"], found[0]["case_id"])

    def add(self, subject: str, key: str, request_hash: str, case_id: str, at: datetime) -> None:
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
        "liable": case.liable,
        "description": case.description,
        "evidence_ids": raw.json_in(list(case.evidence_ids)),
        "reason_codes": raw.json_in(list(case.reason_codes)),
        "due_at": raw.time_in(case.due_at),
        "appealed": case.appealed,
        "decided_by": case.decided_by,
        "created_at": raw.time_in(case.created_at),
        "updated_at": raw.time_in(case.updated_at),
    }


def _event_values(raw: Raw, case_id: str, event: TimelineEvent) -> dict[str, Any]:
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
