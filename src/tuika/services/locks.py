"""Row locks, always taken in one order: the order, then its case, then the case's payout.

Two writers that took them in different orders could each hold the row the other waits for.
Every writer locks through these functions, so none can take them in another order.
"""

from __future__ import annotations

from tuika.domain.cases import Case
from tuika.domain.errors import NotFound
from tuika.domain.orders import Order
from tuika.domain.payouts import Payout
from tuika.services.ports import UnitOfWork


def lock_case(uow: UnitOfWork, case_id: str) -> Case:
    """Lock a case's order, then the case; raise ``NotFound`` if there is no such case."""
    peek = uow.cases.get(case_id)
    if peek is None:
        raise NotFound(f"case {case_id} not found")
    uow.orders.get(peek.order_id, lock=True)
    case = uow.cases.get(case_id, lock=True)
    assert case is not None
    return case


def lock_payout(uow: UnitOfWork, payout_id: str) -> tuple[Order, Case, Payout]:
    """Lock a payout's order, then its case, then the payout; raise ``NotFound`` if there is no such payout."""
    peek = uow.payouts.get(payout_id)
    if peek is None:
        raise NotFound(f"payout {payout_id} not found")
    order = uow.orders.get(peek.order_id, lock=True)
    case = uow.cases.get(peek.case_id, lock=True)
    payout = uow.payouts.get(payout_id, lock=True)
    assert order is not None
    assert case is not None
    assert payout is not None
    return order, case, payout
