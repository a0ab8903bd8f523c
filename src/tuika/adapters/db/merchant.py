"""What merchants answered on the claims on their goods, the time each had to answer, the keys it offered instead."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tuika.adapters.db.merchant_tables import (
    MerchantResponseRow,
    MerchantWindowRow,
    ReplacementKeyRow,
    ReplacementRow,
    StockKeyRow,
)
from tuika.domain.ids import CaseId, EvidenceId
from tuika.domain.merchant import (
    MerchantAction,
    MerchantResponse,
    MerchantWindow,
    Replacement,
    ReplacementKey,
    ReplacementOutcome,
    StockKey,
    VoidState,
)


class SqlMerchantRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add_response(self, response: MerchantResponse) -> None:
        self.s.add(
            MerchantResponseRow(
                id=response.id,
                case_id=response.case_id,
                merchant_id=response.merchant_id,
                action=response.action.value,
                note=response.note,
                evidence_ids=list(response.evidence_ids),
                at=response.at,
            )
        )
        self.s.flush()

    def responses(self, case_id: CaseId) -> list[MerchantResponse]:
        """Return what the merchant said on a case, oldest first."""
        rows = self.s.scalars(
            select(MerchantResponseRow)
            .where(MerchantResponseRow.case_id == case_id)
            .order_by(MerchantResponseRow.at, MerchantResponseRow.id)
        )
        return [
            MerchantResponse(
                id=r.id,
                case_id=CaseId(r.case_id),
                merchant_id=r.merchant_id,
                action=MerchantAction(r.action),
                note=r.note,
                evidence_ids=tuple(EvidenceId(str(e)) for e in r.evidence_ids),
                at=r.at,
            )
            for r in rows
        ]

    def open_window(self, window: MerchantWindow) -> bool:
        """Open a case's window unless it has one; tell whether this opened it.

        A case sent back to a person later keeps the window it had: an answer given stands.
        """
        if self.s.get(MerchantWindowRow, window.case_id) is not None:
            return False
        self.s.add(
            MerchantWindowRow(
                case_id=window.case_id,
                opened_at=window.opened_at,
                respond_by=window.respond_by,
                closed_at=None,
                outcome=None,
            )
        )
        self.s.flush()
        return True

    def window(self, case_id: CaseId) -> MerchantWindow | None:
        row = self.s.get(MerchantWindowRow, case_id)
        if row is None:
            return None
        return MerchantWindow(CaseId(row.case_id), row.opened_at, row.respond_by, row.closed_at, row.outcome)

    def windows(self, case_ids: Sequence[CaseId]) -> dict[CaseId, MerchantWindow]:
        """Return the windows of the cases named that have one."""
        if not case_ids:
            return {}
        rows = self.s.scalars(select(MerchantWindowRow).where(MerchantWindowRow.case_id.in_(list(case_ids))))
        return {
            CaseId(r.case_id): MerchantWindow(CaseId(r.case_id), r.opened_at, r.respond_by, r.closed_at, r.outcome)
            for r in rows
        }

    def close_window(self, case_id: CaseId, at: datetime, outcome: str) -> bool:
        """Close a case's open window; tell whether it was open (a second closer changes nothing)."""
        result = self.s.execute(
            update(MerchantWindowRow)
            .where(MerchantWindowRow.case_id == case_id, MerchantWindowRow.closed_at.is_(None))
            .values(closed_at=at, outcome=outcome)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def overdue(self, now: datetime, limit: int) -> list[CaseId]:
        """Return cases whose merchant is past its time with no answer, the longest overdue first."""
        rows = self.s.scalars(
            select(MerchantWindowRow.case_id)
            .where(MerchantWindowRow.closed_at.is_(None), MerchantWindowRow.respond_by <= now)
            .order_by(MerchantWindowRow.respond_by)
            .limit(limit)
        )
        return [CaseId(r) for r in rows]

    def add_replacement(self, offer: Replacement) -> None:
        """Store a replacement offered, with its new keys (sealed); a case has one offer at most."""
        self.s.add(
            ReplacementRow(
                case_id=offer.case_id,
                merchant_id=offer.merchant_id,
                note=offer.note,
                offered_at=offer.offered_at,
                answer_by=offer.answer_by,
                answered_at=None,
                outcome=None,
                automatic=offer.automatic,
            )
        )
        self.s.flush()
        for key in offer.keys:
            self.s.add(
                ReplacementKeyRow(case_id=offer.case_id, item_id=key.item_id, secret=key.secret, masked=key.masked)
            )
        self.s.flush()

    def replacement(self, case_id: CaseId) -> Replacement | None:
        row = self.s.get(ReplacementRow, case_id)
        if row is None:
            return None
        keys = self.s.scalars(select(ReplacementKeyRow).where(ReplacementKeyRow.case_id == case_id))
        order = {k.item_id: k for k in keys}
        return Replacement(
            case_id=CaseId(row.case_id),
            merchant_id=row.merchant_id,
            note=row.note,
            offered_at=row.offered_at,
            answer_by=row.answer_by,
            keys=tuple(
                ReplacementKey(
                    k.item_id,
                    k.secret,
                    k.masked,
                    k.old_secret,
                    VoidState(k.void_state) if k.void_state is not None else None,
                    k.voided_at,
                )
                for k in sorted(order.values(), key=lambda k: k.item_id)
            ),
            answered_at=row.answered_at,
            outcome=ReplacementOutcome(row.outcome) if row.outcome is not None else None,
            automatic=bool(row.automatic),
        )

    def answer_replacement(self, case_id: CaseId, at: datetime, outcome: ReplacementOutcome) -> bool:
        """Record the buyer's answer to an open offer; tell whether it was open (a second answer changes nothing)."""
        result = self.s.execute(
            update(ReplacementRow)
            .where(ReplacementRow.case_id == case_id, ReplacementRow.outcome.is_(None))
            .values(answered_at=at, outcome=outcome.value)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def save_replacement_key(self, case_id: CaseId, key: ReplacementKey) -> None:
        """Store where a new key stands: the old key it replaced, and voiding that with the supplier."""
        self.s.execute(
            update(ReplacementKeyRow)
            .where(ReplacementKeyRow.case_id == case_id, ReplacementKeyRow.item_id == key.item_id)
            .values(
                old_secret=key.old_secret,
                void_state=key.void_state.value if key.void_state is not None else None,
                voided_at=key.voided_at,
            )
            .execution_options(synchronize_session=False)
        )

    def replaced_items(self, case_ids: Sequence[CaseId]) -> set[str]:
        """Return the items of these cases that now hold a replacement's key (the offer accepted)."""
        if not case_ids:
            return set()
        rows = self.s.scalars(
            select(ReplacementKeyRow.item_id)
            .join(ReplacementRow, ReplacementRow.case_id == ReplacementKeyRow.case_id)
            .where(
                ReplacementKeyRow.case_id.in_(list(case_ids)),
                ReplacementRow.outcome == ReplacementOutcome.ACCEPTED.value,
            )
        )
        return set(rows)

    def unanswered_replacements(self, now: datetime, limit: int) -> list[CaseId]:
        """Return cases whose offer the buyer left unanswered past its time, the longest first."""
        rows = self.s.scalars(
            select(ReplacementRow.case_id)
            .where(ReplacementRow.outcome.is_(None), ReplacementRow.answer_by <= now)
            .order_by(ReplacementRow.answer_by)
            .limit(limit)
        )
        return [CaseId(r) for r in rows]

    def add_stock(self, keys: Sequence[StockKey]) -> None:
        """Keep replacement keys; one already kept anywhere violates the unique digest (the caller checked)."""
        for key in keys:
            self.s.add(
                StockKeyRow(
                    id=key.id,
                    merchant_id=key.merchant_id,
                    sku=key.sku,
                    secret=key.secret,
                    masked=key.masked,
                    key_digest=key.digest,
                    added_at=key.added_at,
                    case_id=None,
                    taken_at=None,
                )
            )
        self.s.flush()

    def stock_holds(self, digests: Sequence[str]) -> bool:
        """Tell whether any of these digests is a key kept in someone's replacement stock."""
        if not digests:
            return False
        found = self.s.scalars(select(StockKeyRow.id).where(StockKeyRow.key_digest.in_(list(digests))).limit(1))
        return found.first() is not None

    def stock_counts(self, merchant_id: str) -> dict[str, int]:
        """Return sku → how many replacement keys the merchant keeps free for it."""
        rows = self.s.execute(
            select(StockKeyRow.sku, func.count())
            .where(StockKeyRow.merchant_id == merchant_id, StockKeyRow.case_id.is_(None))
            .group_by(StockKeyRow.sku)
            .order_by(StockKeyRow.sku)
        )
        return {sku: int(n) for sku, n in rows}

    def take_stock(self, merchant_id: str, sku: str, n: int, case_id: CaseId, at: datetime) -> list[StockKey]:
        """Take ``n`` free keys of a product, oldest first, for a claim's offer; none unless there are ``n``.

        The rows are locked (skipped if another claim's transaction holds them), so two claims
        never take one key.
        """
        query = (
            select(StockKeyRow)
            .where(StockKeyRow.merchant_id == merchant_id, StockKeyRow.sku == sku, StockKeyRow.case_id.is_(None))
            .order_by(StockKeyRow.added_at, StockKeyRow.id)
            .limit(n)
            .with_for_update(skip_locked=True)
        )
        rows = list(self.s.scalars(query))
        if len(rows) < n:
            return []
        for row in rows:
            row.case_id, row.taken_at = case_id, at
        self.s.flush()
        return [StockKey(r.id, r.merchant_id, r.sku, r.secret, r.masked, r.key_digest, r.added_at) for r in rows]

    def return_stock(self, case_id: CaseId) -> int:
        """Put back in stock the keys a declined offer took; return how many."""
        result = self.s.execute(
            update(StockKeyRow)
            .where(StockKeyRow.case_id == case_id)
            .values(case_id=None, taken_at=None)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)
