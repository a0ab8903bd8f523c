"""A merchant's figures over a period, counted in the database: orders sold, claims by reason and status."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tuika.adapters.db.tables import CaseRow, OrderRow
from tuika.domain.cases import CaseStatus
from tuika.domain.money import Money
from tuika.domain.policy import Reason
from tuika.services.ports import ClaimTally


class SqlMerchantStatsRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def orders_sold(self, merchant_id: str, since: datetime, until: datetime) -> int:
        """Return how many of the merchant's orders were paid from ``since`` to ``until``, both included."""
        query = select(func.count()).where(
            OrderRow.merchant_id == merchant_id, OrderRow.paid_at >= since, OrderRow.paid_at <= until
        )
        return int(self.s.scalar(query) or 0)

    def claim_tallies(self, merchant_id: str, since: datetime, until: datetime) -> list[ClaimTally]:
        """Return the claims filed on the merchant's orders from ``since`` to ``until``, by reason and status."""
        claims = func.count(CaseRow.id)
        payout = func.coalesce(func.sum(CaseRow.refundable_fen - CaseRow.fee_fen), 0)
        query = (
            select(CaseRow.reason, CaseRow.status, claims, payout)
            .join(OrderRow, OrderRow.id == CaseRow.order_id)
            .where(OrderRow.merchant_id == merchant_id, CaseRow.created_at >= since, CaseRow.created_at <= until)
            .group_by(CaseRow.reason, CaseRow.status)
            .order_by(CaseRow.reason, CaseRow.status)
        )
        return [
            ClaimTally(Reason(reason), CaseStatus(status), int(n), Money(int(fen)))
            for reason, status, n, fen in self.s.execute(query)
        ]
