"""Pay a pending payout, exactly once: its live keys voided first, then the balance or the gateway."""

from __future__ import annotations

from tuika.domain.cases import Case, CaseStatus
from tuika.domain.errors import NotFound
from tuika.domain.ids import PayoutId
from tuika.domain.payouts import Payout, PayoutRoute, PayoutStatus
from tuika.services.context import SYSTEM, Context
from tuika.services.locks import lock_payout
from tuika.services.moves import move_case, save_payout
from tuika.services.payouts.opening import check_order_cap
from tuika.services.payouts.sending import send
from tuika.services.payouts.settle import succeed
from tuika.services.payouts.voiding import void_keys
from tuika.services.ports import UnitOfWork


def execute(ctx: Context, payout_id: PayoutId) -> Payout:
    """Pay a pending payout; a second call, or a retry after a crash, does nothing more.

    Live card keys are voided with the supplier first, with no transaction open. If the
    supplier cannot answer, the payout stays pending for the sweep; if a key turns out used,
    the payout fails and the case goes back to a person. A balance refund is done in the same
    transaction; an original-route one is handed to its gateway (``sending.send``).
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
        order, case, payout = lock_payout(uow, payout_id)
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
    return send(ctx, payout_id)


def _stop_for_a_person(ctx: Context, uow: UnitOfWork, case: Case, payout: Payout, used: tuple[str, ...]) -> Payout:
    now = ctx.clock.now()
    failure = f"card keys used before they could be voided: {', '.join(used)}"
    failed = payout.move(PayoutStatus.FAILED, now, failure=failure)
    save_payout(uow, failed, PayoutStatus.PENDING)
    if case.status is CaseStatus.APPROVED:
        respond = ctx.policies.version(uow, case.policy_version).merchant_time(ctx.sla.merchant_response)
        move_case(
            uow,
            case,
            CaseStatus.MANUAL_REVIEW,
            at=now,
            actor=SYSTEM,
            codes=("card_redeemed_before_void",),
            due=now + ctx.sla.manual_review,
            merchant_by=now + respond,
        )
    uow.commit()
    return failed
