"""What merchants answered on the claims on their goods, and the time each had to answer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tuika.adapters.db.merchant_tables import MerchantResponseRow, MerchantWindowRow
from tuika.domain.ids import CaseId, EvidenceId
from tuika.domain.merchant import MerchantAction, MerchantResponse, MerchantWindow


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
