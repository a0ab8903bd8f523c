"""Row locks, always taken in one order: the order, then its case, then the case's payout, then an alert on it.

Two writers that took them in different orders could each hold the row the other waits for.
Every writer locks through these functions, so none can take them in another order; a
writer that needs fewer rows takes a prefix of the order (the order alone) or its end (the
payout alone), which waits behind no lock it holds.
"""

from __future__ import annotations

from tuika.domain.alerts import PayoutAlert
from tuika.domain.cases import Case
from tuika.domain.errors import NotFound
from tuika.domain.ids import CaseId, OrderId, PayoutId
from tuika.domain.orders import Order
from tuika.domain.payouts import Payout
from tuika.services.ports import UnitOfWork


def lock_order(uow: UnitOfWork, order_id: OrderId) -> Order | None:
    """Lock an order, the first row of every writer; None if there is no such order (yet)."""
    return uow.orders.get(order_id, lock=True)


def lock_case(uow: UnitOfWork, case_id: CaseId) -> Case:
    """Lock a case's order, then the case; raise ``NotFound`` if there is no such case."""
    _, case = _lock_read(uow, _read_case(uow, case_id))
    return case


def lock_order_and_case(uow: UnitOfWork, case_id: CaseId) -> tuple[Order, Case]:
    """Lock a case's order, then the case, and return both; raise ``NotFound`` if there is no such case."""
    order, case = _lock_read(uow, _read_case(uow, case_id))
    if order is None:
        raise NotFound(f"case {case_id} not found")
    return order, case


def lock_read_case(uow: UnitOfWork, read: Case) -> Case:
    """Lock the order, then the case, of a case read without a lock (once its reader was found to own it)."""
    _, case = _lock_read(uow, read)
    return case


def lock_payout(uow: UnitOfWork, payout_id: PayoutId) -> tuple[Order, Case, Payout]:
    """Lock a payout's order, then its case, then the payout; raise ``NotFound`` if there is no such payout."""
    peek = uow.payouts.get(payout_id)
    if peek is None:
        raise NotFound(f"payout {payout_id} not found")
    order, case = _lock_order_then_case(uow, peek.order_id, peek.case_id)
    payout = uow.payouts.get(payout_id, lock=True)
    assert order is not None
    assert payout is not None
    return order, case, payout


def lock_payout_only(uow: UnitOfWork, payout_id: PayoutId) -> Payout:
    """Lock a payout alone, for a change of its own (a voucher, the next check) that no order or case sees."""
    payout = uow.payouts.get(payout_id, lock=True)
    assert payout is not None
    return payout


def lock_alert(uow: UnitOfWork, alert_id: str) -> PayoutAlert | None:
    """Lock an alert, after its payout's locks; None if there is no such alert."""
    return uow.alerts.get(alert_id, lock=True)


def _read_case(uow: UnitOfWork, case_id: CaseId) -> Case:
    read = uow.cases.get(case_id)
    if read is None:
        raise NotFound(f"case {case_id} not found")
    return read


def _lock_read(uow: UnitOfWork, read: Case) -> tuple[Order | None, Case]:
    return _lock_order_then_case(uow, read.order_id, read.id)


def _lock_order_then_case(uow: UnitOfWork, order_id: OrderId, case_id: CaseId) -> tuple[Order | None, Case]:
    # Order before case, written here only: every lock of a case, alone or with its payout, comes this way.
    order = uow.orders.get(order_id, lock=True)
    case = uow.cases.get(case_id, lock=True)
    assert case is not None
    return order, case
