"""Payouts: created with the approval, paid by the worker, exactly once."""

from __future__ import annotations

from tuika.domain.cases import Case, CaseStatus
from tuika.domain.errors import NotFound
from tuika.domain.ids import new_id
from tuika.domain.orders import Order
from tuika.domain.payouts import Payout, PayoutRoute, PayoutStatus, allocate, check_cap
from tuika.services.claims.filing import payout_route
from tuika.services.context import SYSTEM, Context
from tuika.services.moves import move_case, open_payout_row, save_payout
from tuika.services.payouts import sending as refunds
from tuika.services.payouts.settle import succeed
from tuika.services.payouts.voiding import void_keys
from tuika.services.ports import UnitOfWork


def open_payout(ctx: Context, uow: UnitOfWork, order: Order, case: Case) -> Payout:
    """Create the pending payout of an approved case, inside the approving transaction.

    The caller holds the order's row lock, so the cap check sees every other payout.
    """
    now = ctx.clock.now()
    item_paid = order.item_amounts()
    payout = Payout(
        id=new_id("po"),
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


def execute(ctx: Context, payout_id: str) -> Payout:
    """Pay a pending payout; a second call, or a retry after a crash, does nothing more.

    Live card keys are voided with the supplier first, with no transaction open. If the
    supplier cannot answer, the payout stays pending for the sweep; if a key turns out used,
    the payout fails and the case goes back to a person. A balance refund is done in the same
    transaction; an original-route one is handed to its gateway (``refunds.send``).
    """
    with ctx.read() as uow:
        peek = uow.payouts.get(payout_id)
        if peek is None:
            raise NotFound(f"payout {payout_id} not found")
        if peek.status is not PayoutStatus.PENDING:
            return peek
        order, case = uow.orders.get(peek.order_id), uow.cases.get(peek.case_id)
        assert order is not None
        assert case is not None
        voided = void_keys(ctx, order, case, uow.findings.for_case(case.id))
    if voided.unavailable:
        return peek
    with ctx.uow() as uow:
        peek = uow.payouts.get(payout_id)
        if peek is None:
            raise NotFound(f"payout {payout_id} not found")
        order = uow.orders.get(peek.order_id, lock=True)
        case = uow.cases.get(peek.case_id, lock=True)
        payout = uow.payouts.get(payout_id, lock=True)
        assert order is not None
        assert case is not None
        assert payout is not None
        if payout.status is not PayoutStatus.PENDING:
            return payout
        uow.findings.add(case.id, voided.findings)
        if voided.used:
            return _stop_for_a_person(ctx, uow, case, payout, voided.used)
        check_order_cap(uow, order, payout)
        if payout.route is not PayoutRoute.BALANCE:
            uow.commit()
        else:
            done = succeed(ctx, uow, order, case, payout, payout.gateway_refund_no)
            uow.commit()
            return done
    # The original route: the number is stored as sent, then the gateway is asked, outside
    # any transaction (a gateway can take seconds).
    return refunds.send(ctx, payout_id)


def _stop_for_a_person(ctx: Context, uow: UnitOfWork, case: Case, payout: Payout, used: tuple[str, ...]) -> Payout:
    now = ctx.clock.now()
    failure = f"card keys used before they could be voided: {', '.join(used)}"
    failed = payout.move(PayoutStatus.FAILED, now, failure=failure)
    save_payout(uow, failed, PayoutStatus.PENDING)
    if case.status is CaseStatus.APPROVED:
        move_case(
            uow,
            case,
            CaseStatus.MANUAL_REVIEW,
            at=now,
            actor=SYSTEM,
            codes=("card_redeemed_before_void",),
            due=now + ctx.sla.manual_review,
        )
    uow.commit()
    return failed
