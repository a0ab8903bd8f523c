"""Payouts: created with the approval, paid by the worker, exactly once."""

from __future__ import annotations

from tuika.domain.cases import Case, CaseStatus
from tuika.domain.errors import NotFound
from tuika.domain.ids import new_id
from tuika.domain.ledger import clawback, refund_to_balance
from tuika.domain.orders import Order
from tuika.domain.payouts import Payout, PayoutRoute, PayoutStatus, allocate, check_cap
from tuika.domain.policy import LiableParty
from tuika.services.claims import payout_route
from tuika.services.context import SYSTEM, Context
from tuika.services.moves import move_case
from tuika.services.ports import UnitOfWork
from tuika.services.voiding import void_keys


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
    check_cap(order.amount, item_paid, uow.payouts.for_order(order.id), payout)
    uow.payouts.add(payout)
    uow.on_commit(lambda: ctx.dispatcher.pay(payout.id))
    return payout


def execute(ctx: Context, payout_id: str) -> Payout:
    """Pay a pending payout; a second call, or a retry after a crash, does nothing more.

    Live card keys are voided with the supplier first, with no transaction open. If the
    supplier cannot answer, the payout stays pending for the sweep; if a key turns out used,
    the payout fails and the case goes back to a person.
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
        check_cap(order.amount, order.item_amounts(), uow.payouts.for_order(order.id), payout)
        if payout.route is not PayoutRoute.BALANCE:
            # Original-route gateways plug in here; until one is configured the payout waits.
            return payout
        now = ctx.clock.now()
        memo = f"退款 {case.id} 订单 {order.id}"
        uow.ledger.post(
            refund_to_balance(
                buyer_id=order.buyer_id,
                refundable=payout.refundable,
                fee=payout.fee,
                memo=memo,
                payout_id=payout.id,
            ),
            "refund",
            now,
        )
        recovered = clawback(
            liable=LiableParty(case.liable),
            supplier_id=order.supplier_id,
            merchant_id=order.merchant_id,
            amount=payout.refundable,
            memo=f"追偿 {case.id}",
            payout_id=payout.id,
        )
        if recovered is not None:
            uow.ledger.post(recovered, "clawback", now)
        processing = payout.move(PayoutStatus.PROCESSING, now, attempts=payout.attempts + 1)
        done = processing.move(PayoutStatus.SUCCEEDED, now, voucher=payout.gateway_refund_no)
        uow.payouts.save(done, PayoutStatus.PENDING)
        if case.status is CaseStatus.APPROVED:
            case = move_case(uow, case, CaseStatus.REFUNDING, at=now, actor=SYSTEM, codes=("refund_started",))
        if case.status is CaseStatus.REFUNDING:
            move_case(
                uow,
                case,
                CaseStatus.REFUNDED,
                at=now,
                actor=SYSTEM,
                codes=("refunded_to_balance",),
                note=f"退款凭证 {done.voucher}",
            )
        uow.commit()
        return done


def _stop_for_a_person(ctx: Context, uow: UnitOfWork, case: Case, payout: Payout, used: tuple[str, ...]) -> Payout:
    now = ctx.clock.now()
    failure = f"card keys used before they could be voided: {', '.join(used)}"
    failed = payout.move(PayoutStatus.FAILED, now, failure=failure)
    uow.payouts.save(failed, PayoutStatus.PENDING)
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
