"""Open the payout of an approved case, inside the approving transaction, within what the order paid."""

from __future__ import annotations

from tuika.domain.cases import Case
from tuika.domain.ids import PayoutId, new_id
from tuika.domain.orders import Order
from tuika.domain.payouts import Payout, PayoutStatus, allocate, check_cap
from tuika.services.claims.filing import payout_route
from tuika.services.context import Context
from tuika.services.moves import open_payout_row
from tuika.services.ports import UnitOfWork


def open_payout(ctx: Context, uow: UnitOfWork, order: Order, case: Case) -> Payout:
    """Create the pending payout of an approved case, inside the approving transaction.

    The caller holds the order's row lock, so the cap check sees every other payout.
    """
    now = ctx.clock.now()
    item_paid = order.item_amounts()
    payout = Payout(
        id=PayoutId(new_id("po")),
        case_id=case.id,
        order_id=order.id,
        buyer_id=order.buyer_id,
        route=payout_route(ctx, order, case.route),
        amount=case.payout_amount,
        fee=case.fee,
        item_amounts=allocate(case.item_ids, item_paid, case.refundable),
        status=PayoutStatus.PENDING,
        created_at=now,
        updated_at=now,
    )
    check_order_cap(uow, order, payout)
    open_payout_row(uow, payout)
    return payout


def check_order_cap(uow: UnitOfWork, order: Order, payout: Payout) -> None:
    """Raise ``OverRefund`` if ``payout`` and the order's others that may have paid exceed what was paid.

    The caller holds the order's row lock. A failed payout an open alert disputes still counts.
    """
    existing = uow.payouts.for_order(order.id)
    disputed = uow.alerts.disputed([p.id for p in existing if p.status is PayoutStatus.FAILED])
    check_cap(order.amount, order.item_amounts(), existing, payout, disputed)
