"""The ledger's postings and entries, and the claims' holds on their merchants' settlement."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tuika.adapters.db.merchant_tables import HoldRow
from tuika.adapters.db.tables import EntryRow, PostingRow
from tuika.domain.ids import CaseId, PostingId, new_id
from tuika.domain.ledger import Entry, Hold, Posting
from tuika.domain.money import Money


class SqlLedgerRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def post(self, posting: Posting, kind: str, at: datetime) -> bool:
        """Write a balanced posting once per payout and kind; return False if it was there."""
        if posting.payout_id is not None:
            exists = select(PostingRow.id).where(PostingRow.payout_id == posting.payout_id, PostingRow.kind == kind)
            if self.s.scalars(exists).first() is not None:
                return False
        posting_id = PostingId(new_id("lp"))
        self.s.add(PostingRow(id=posting_id, memo=posting.memo, payout_id=posting.payout_id, kind=kind, created_at=at))
        self.s.flush()
        for entry in posting.entries:
            self.s.add(EntryRow(posting_id=posting_id, account=entry.account, amount_fen=entry.amount.fen))
        self.s.flush()
        return True

    def post_once(self, posting: Posting, kind: str, reference: str, at: datetime) -> bool:
        """Write a posting known by ``reference`` unless one of its kind was; return whether this wrote it.

        Two requests at once with the same reference meet the unique key: one writes, the other
        rolls back only its own savepoint and is told it was there.
        """
        if self.reference_posted(kind, reference) is not None:
            return False
        posting_id = PostingId(new_id("lp"))
        try:
            with self.s.begin_nested():
                self.s.add(
                    PostingRow(
                        id=posting_id, memo=posting.memo, payout_id=None, kind=kind, created_at=at, reference=reference
                    )
                )
                self.s.flush()
        except IntegrityError:
            return False
        for entry in posting.entries:
            self.s.add(EntryRow(posting_id=posting_id, account=entry.account, amount_fen=entry.amount.fen))
        self.s.flush()
        return True

    def hold_of(self, case_id: CaseId) -> Hold | None:
        row = self.s.get(HoldRow, case_id)
        if row is None:
            return None
        return Hold(CaseId(row.case_id), row.merchant_id, Money(row.amount_fen), row.held_at, row.ended_at, row.outcome)

    def save_hold(self, held: Hold) -> None:
        """Store a claim's hold as it now stands (placed, ended, or placed again on an appeal)."""
        row = self.s.get(HoldRow, held.case_id)
        if row is None:
            row = HoldRow(case_id=held.case_id)
            self.s.add(row)
        row.merchant_id = held.merchant_id
        row.amount_fen = held.amount.fen
        row.held_at = held.held_at
        row.ended_at = held.ended_at
        row.outcome = held.outcome
        self.s.flush()

    def reference_posted(self, kind: str, reference: str) -> tuple[Entry, ...] | None:
        """Return the entries of the posting of ``kind`` known by ``reference``, or None."""
        found = self.s.scalars(select(PostingRow.id).where(PostingRow.kind == kind, PostingRow.reference == reference))
        posting_id = found.first()
        if posting_id is None:
            return None
        rows = self.s.scalars(select(EntryRow).where(EntryRow.posting_id == posting_id).order_by(EntryRow.id))
        return tuple(Entry(r.account, Money(r.amount_fen)) for r in rows)

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
