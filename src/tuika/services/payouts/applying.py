"""Apply a gateway's final word about a payout: once, under the row locks; a word against our record is an alert."""

from __future__ import annotations

import logging

from tuika.domain.alerts import AlertKind, PayoutAlert
from tuika.domain.cases import Case
from tuika.domain.errors import NotFound
from tuika.domain.gateway import RefundAnswer, RefundState
from tuika.domain.ids import PayoutId
from tuika.domain.orders import Order
from tuika.domain.payouts import FINAL_PAYOUTS, Payout, PayoutStatus
from tuika.services.context import Context
from tuika.services.locks import lock_payout
from tuika.services.moves import note_on_case, save_payout
from tuika.services.payouts.settle import succeed
from tuika.services.ports import UnitOfWork

log = logging.getLogger(__name__)


def apply(
    ctx: Context,
    answer: RefundAnswer,
    *,
    provider: str,
    source: str,
    notice: tuple[str, str] | None = None,
) -> Payout:
    """Apply a gateway's final word about a payout, once, in one transaction.

    ``notice`` is (notice id, raw body) when the word came in a notice: it is stored in the
    same transaction, so a notice is either kept and applied or neither. A duplicate notice,
    or a word that repeats what we know, changes nothing; one that contradicts our record,
    or that comes from another gateway than the payout's own, raises an alert and changes nothing.
    """
    with ctx.uow() as uow:
        peek = uow.payouts.get(PayoutId(answer.refund_no))
        if notice is not None:
            fresh = uow.notices.add(provider, notice[0], answer.refund_no, notice[1], ctx.clock.now())
            if not fresh:
                if peek is None:
                    raise NotFound(f"payout {answer.refund_no} not found")
                return peek
        if peek is None:
            detail = f"{source}: no payout {answer.refund_no}"
            _alert(ctx, uow, PayoutId(answer.refund_no), provider, AlertKind.UNKNOWN_REFUND, detail)
            uow.commit()
            raise NotFound(f"payout {answer.refund_no} not found")
        order, case, payout = lock_payout(uow, payout_id=peek.id)
        result = _apply_locked(ctx, uow, order, case, payout, answer, provider, source)
        uow.commit()
        return result


def _apply_locked(
    ctx: Context,
    uow: UnitOfWork,
    order: Order,
    case: Case,
    payout: Payout,
    answer: RefundAnswer,
    provider: str,
    source: str,
) -> Payout:
    if provider != payout.route.value:
        # A gateway speaks only for the refunds sent to it; a genuine notice from another
        # channel naming this number must not fail (or settle) it, or the balance could pay
        # what the payout's own gateway pays as well.
        detail = f"{source}: {provider} says {answer.state.value} for a {payout.route.value} payout"
        _alert(ctx, uow, payout.id, provider, AlertKind.WRONG_CHANNEL, detail)
        return payout
    if answer.amount is not None and answer.amount != payout.amount:
        detail = f"{source}: {answer.state.value} {answer.amount.fen} fen, payout is {payout.amount.fen} fen"
        _alert(ctx, uow, payout.id, provider, AlertKind.AMOUNT_MISMATCH, detail, case)
        return payout
    state = answer.state
    if state in (RefundState.PROCESSING, RefundState.NOT_FOUND):
        return payout
    if payout.status in FINAL_PAYOUTS or payout.status is PayoutStatus.PENDING:
        if _repeats(payout.status, state):
            return payout
        detail = f"{source}: gateway says {state.value}, payout is {payout.status.value}"
        _alert(ctx, uow, payout.id, provider, AlertKind.STATE_CONTRADICTION, detail, case)
        return payout
    now = ctx.clock.now()
    if state is RefundState.SUCCEEDED:
        return succeed(ctx, uow, order, case, payout, answer.gateway_refund_id or payout.voucher or payout.id)
    if state is RefundState.ABNORMAL:
        if payout.status is PayoutStatus.ABNORMAL:
            return payout
        moved = payout.move(
            PayoutStatus.ABNORMAL, now, voucher=payout.voucher or answer.gateway_refund_id, failure=answer.detail
        )
        save_payout(uow, moved, payout.status)
        note_on_case(uow, case, now, "gateway_refund_abnormal", answer.detail)
        return moved
    failed = payout.move(PayoutStatus.FAILED, now, failure=answer.detail or "closed by the gateway")
    save_payout(uow, failed, payout.status)
    note_on_case(uow, case, now, "gateway_refund_failed", answer.detail)
    return failed


def _repeats(status: PayoutStatus, state: RefundState) -> bool:
    return (status, state) in {
        (PayoutStatus.SUCCEEDED, RefundState.SUCCEEDED),
        (PayoutStatus.FAILED, RefundState.FAILED),
    }


def _alert(
    ctx: Context,
    uow: UnitOfWork,
    payout_id: PayoutId,
    provider: str,
    kind: AlertKind,
    detail: str,
    case: Case | None = None,
) -> None:
    """Record what a gateway said against our record; a dispute of the payout is told on its case."""
    log.error("payout alert %s on %s (%s): %s", kind.value, payout_id, provider, detail)
    alert = PayoutAlert(payout_id, provider, kind, detail, ctx.clock.now())
    first_dispute = alert.disputes and payout_id not in uow.alerts.disputed([payout_id])
    uow.alerts.add(alert)
    if case is not None and first_dispute:
        note_on_case(uow, case, ctx.clock.now(), "gateway_refund_disputed")
