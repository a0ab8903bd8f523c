"""Each merchant's and supplier's figures, summed from the ledger's entries in GROUP BY queries, and its holds.

A party's accounts are named ``merchant:<id>:settlement``, ``merchant:<id>:holds``,
``merchant:<id>:deposit`` and ``supplier:<id>:deposit`` (``domain.ledger``); an id may hold a
colon, so the id is what lies between the party's prefix and the account's suffix. Every figure
is a sum of entries, so it matches the postings to the fen; the number of open holds is counted
in ``case_holds``, whose open rows are what the holds account holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, Subquery, and_, case, func, select
from sqlalchemy.orm import Session

from tuika.adapters.db.merchant_tables import HoldRow
from tuika.adapters.db.tables import CaseRow, EntryRow, OrderRow, PostingRow
from tuika.domain.balances import BalancePage, Balances, HeldClaim, HoldPage, Party
from tuika.domain.cases import CaseStatus
from tuika.domain.ids import CaseId
from tuika.domain.money import Money

# The accounts each party has, by the suffix of their names.
_SUFFIXES: Final[dict[Party, tuple[str, ...]]] = {
    Party.MERCHANT: ("settlement", "holds", "deposit"),
    Party.SUPPLIER: ("deposit",),
}


class SqlBalanceRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def page(self, party: Party, limit: int, offset: int) -> BalancePage:
        """Return one page of every party of a kind the ledger names: merchants by what they have held, the most first.

        Suppliers come by their deposit, the one owing most first; between equals, by id.
        """
        named = [EntryRow.account.like(f"{party.value}:%:{suffix}") for suffix in _SUFFIXES[party]]
        figures = _figures(party, _any(named)).subquery()
        total = int(self.s.scalar(select(func.count()).select_from(figures)) or 0)
        query = _with_holds(party, figures, None)
        if party is Party.MERCHANT:
            query = query.order_by(figures.c.held.desc(), figures.c.party_id)
        else:
            query = query.order_by(figures.c.deposit, figures.c.party_id)
        rows = list(self.s.execute(query.limit(limit).offset(offset)))
        names = self._names(party, [str(r.party_id) for r in rows])
        return BalancePage(tuple(_balances(party, r, names) for r in rows), total, offset)

    def one(self, party: Party, party_id: str) -> Balances | None:
        """Return one party's figures, or None when the ledger has never named it."""
        accounts = [f"{party.value}:{party_id}:{suffix}" for suffix in _SUFFIXES[party]]
        figures = _figures(party, EntryRow.account.in_(accounts)).subquery()
        row = self.s.execute(_with_holds(party, figures, party_id)).first()
        if row is None:
            return None
        return _balances(party, row, self._names(party, [party_id]))

    def holds(self, merchant_id: str, limit: int, offset: int) -> HoldPage:
        """Return a page of a merchant's open holds, the largest first, then the oldest."""
        open_ = (HoldRow.merchant_id == merchant_id) & HoldRow.ended_at.is_(None)
        total = int(self.s.scalar(select(func.count()).select_from(HoldRow).where(open_)) or 0)
        query = (
            select(HoldRow, CaseRow.number, CaseRow.status, OrderRow.title, OrderRow.sku)
            .join(CaseRow, CaseRow.id == HoldRow.case_id)
            .join(OrderRow, OrderRow.id == CaseRow.order_id)
            .where(open_)
            .order_by(HoldRow.amount_fen.desc(), HoldRow.held_at, HoldRow.case_id)
            .limit(limit)
            .offset(offset)
        )
        items = tuple(
            HeldClaim(
                CaseId(held.case_id),
                number,
                CaseStatus(status),
                title or sku,
                Money(held.amount_fen),
                held.held_at,
            )
            for held, number, status, title, sku in self.s.execute(query)
        )
        return HoldPage(items, total, offset)

    def _names(self, party: Party, ids: Sequence[str]) -> dict[str, str]:
        """Return the name the newest order naming each party gives it; a party no order names is left out."""
        if not ids:
            return {}
        key, name = (
            (OrderRow.merchant_id, OrderRow.merchant_name)
            if party is Party.MERCHANT
            else (OrderRow.supplier_id, OrderRow.supplier_name)
        )
        newest = func.row_number().over(partition_by=key, order_by=(OrderRow.paid_at.desc(), OrderRow.id.desc()))
        ranked = (
            select(key.label("party_id"), name.label("name"), newest.label("n"))
            .where(key.in_(sorted(set(ids))), name != "")
            .subquery()
        )
        found = self.s.execute(select(ranked.c.party_id, ranked.c.name).where(ranked.c.n == 1))
        return {str(party_id): str(named) for party_id, named in found}


def _any(conditions: Sequence[ColumnElement[bool]]) -> ColumnElement[bool]:
    found = conditions[0]
    for condition in conditions[1:]:
        found = found | condition
    return found


def _figures(party: Party, where: ColumnElement[bool]) -> Select[Any]:
    """Return each party's sums over the entries ``where`` picks: one row per party id.

    The entries are summed by account and posting kind first, so the names are cut apart once
    an account and kind, not once an entry.
    """
    by_account = (
        select(
            EntryRow.account.label("account"),
            PostingRow.kind.label("kind"),
            func.sum(EntryRow.amount_fen).label("amount"),
        )
        .join(PostingRow, PostingRow.id == EntryRow.posting_id)
        .where(where)
        .group_by(EntryRow.account, PostingRow.kind)
        .subquery()
    )
    account = by_account.c.account
    # Which of the party's accounts a sum is on, and the party's id cut out of its name.
    which = case(*((account.like(f"%:{s}"), s) for s in _SUFFIXES[party]))
    start = len(party.value) + 2
    cut = case(
        *(
            (account.like(f"%:{s}"), func.substr(account, start, func.length(account) - start - len(s)))
            for s in _SUFFIXES[party]
        )
    )
    entries = select(cut.label("party_id"), which.label("which"), by_account.c.kind, by_account.c.amount).subquery()
    amount, on, kind = entries.c.amount, entries.c.which, entries.c.kind

    def total(condition: ColumnElement[bool], sign: int = 1) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((condition, amount * sign), else_=0)), 0)

    return select(
        entries.c.party_id,
        total(on == "settlement").label("settlement"),
        total(on == "holds").label("held"),
        total(on == "deposit").label("deposit"),
        total(and_(on == "deposit", kind == "deposit")).label("paid_in"),
        # A refund on the party's fault: a clawback from its deposit, or for a merchant from
        # what was held for the claim (``ledger.recover_held``); both are posted as clawbacks.
        total(and_(on.in_(("deposit", "holds")), kind == "clawback"), -1).label("recovered"),
        total(and_(on == "deposit", kind == "fault_fee"), -1).label("fault_fees"),
    ).group_by(entries.c.party_id)


def _with_holds(party: Party, figures: Subquery, merchant_id: str | None) -> Select[Any]:
    """Return ``figures`` with each merchant's open holds counted beside them (none for a supplier)."""
    if party is not Party.MERCHANT:
        return select(figures)
    where: ColumnElement[bool] = HoldRow.ended_at.is_(None)
    if merchant_id is not None:
        where = where & (HoldRow.merchant_id == merchant_id)
    counted = select(HoldRow.merchant_id, func.count().label("n")).where(where).group_by(HoldRow.merchant_id).subquery()
    return select(figures, func.coalesce(counted.c.n, 0).label("open_holds")).outerjoin(
        counted, counted.c.merchant_id == figures.c.party_id
    )


def _balances(party: Party, row: Any, names: dict[str, str]) -> Balances:
    party_id = str(row.party_id)
    common = (
        party,
        party_id,
        names.get(party_id, ""),
        Money(int(row.deposit)),
        Money(int(row.paid_in)),
        Money(int(row.recovered)),
        Money(int(row.fault_fees)),
    )
    if party is Party.SUPPLIER:
        return Balances(*common)
    return Balances(*common, Money(int(row.settlement)), Money(int(row.held)), int(row.open_holds))
