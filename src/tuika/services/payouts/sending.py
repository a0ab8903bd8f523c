"""Refunds by the original route: sent once under the payout's number, settled only by what the gateway confirms.

A payout goes pending → processing (the number is stored as sent *before* the request goes
out) → succeeded | failed | abnormal. The refund call's answer moves nothing to a final
state; a query or a verified notice does (``apply``), under the order, case and payout row
locks, comparing amount and state. The request number never changes, so a retry after a
timeout, a crash or an empty query reaches the same refund at the gateway, never a second one.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Final

from tuika.domain.alerts import AlertKind, PayoutAlert
from tuika.domain.cases import Case, CaseStatus
from tuika.domain.errors import NotFound, RefundLimitReached
from tuika.domain.gateway import (
    GatewayRefused,
    GatewayUnavailable,
    RefundAnswer,
    RefundRequest,
    RefundState,
)
from tuika.domain.orders import Order
from tuika.domain.payouts import FINAL_PAYOUTS, Payout, PayoutStatus
from tuika.domain.refund_limits import check_open, wait_before_sending
from tuika.services.context import SYSTEM, Context
from tuika.services.moves import move_case, note_on_case, save_payout
from tuika.services.payouts.settle import succeed
from tuika.services.ports import Gateway, UnitOfWork

log = logging.getLogger(__name__)

# Look again at a refund the gateway still calls processing: soon at first, then less often.
MAX_CHECK_GAP: Final = timedelta(hours=1)


def request_for(order: Order, payout: Payout) -> RefundRequest:
    """Return the refund as every gateway is asked for it; the number is the payout id."""
    return RefundRequest(
        refund_no=payout.gateway_refund_no,
        order_id=order.id,
        transaction_id=order.transaction_id,
        amount=payout.amount,
        order_total=order.amount,
        reason=f"退卡 {payout.case_id}",
    )


def gateway_of(ctx: Context, payout: Payout) -> Gateway:
    gateway = ctx.gateways.get(payout.route)
    if gateway is None:
        raise NotFound(f"no gateway for {payout.route.value} is configured")
    return gateway


def next_check(gateway: Gateway, sent_at: datetime, now: datetime) -> datetime:
    """Return when to ask about a processing refund again: half its age, between the first gap and an hour."""
    first = gateway.timing.first_query_after
    gap = min(max(first, (now - sent_at) / 2), max(first, MAX_CHECK_GAP))
    return max(now + gap, sent_at + first)


def send(ctx: Context, payout_id: str) -> Payout:
    """Send a pending payout to its gateway; the caller has voided live keys already."""
    sent = _mark_sent(ctx, payout_id)
    if sent is None or sent.status is not PayoutStatus.PROCESSING:
        return sent if sent is not None else _get(ctx, payout_id)
    return _call(ctx, sent, resend=False)


def _mark_sent(ctx: Context, payout_id: str) -> Payout | None:
    """Store pending → processing with the send time; None when the gateway's gap says wait."""
    with ctx.uow() as uow:
        order, case, payout = lock(uow, payout_id)
        if payout.status is not PayoutStatus.PENDING:
            return payout
        gateway = gateway_of(ctx, payout)
        now = ctx.clock.now()
        earlier = [p for p in uow.payouts.for_order(order.id) if p.id != payout.id]
        try:
            check_open(payout.route, order.paid_at, now, earlier)
        except RefundLimitReached as exc:
            failed = payout.move(PayoutStatus.FAILED, now, failure=f"{exc.code}: {exc}")
            save_payout(uow, failed, PayoutStatus.PENDING)
            note_on_case(uow, case, now, "gateway_limit_reached", str(exc))
            uow.commit()
            return failed
        wait = wait_before_sending(payout.route, now, earlier)
        if wait > timedelta(0):
            # The gateway wants a gap between refunds of one order: its handler waits until then.
            save_payout(uow, replace(payout, check_at=now + wait, updated_at=now), PayoutStatus.PENDING)
            uow.commit()
            return None
        processing = payout.move(
            PayoutStatus.PROCESSING,
            now,
            attempts=payout.attempts + 1,
            sent_at=now,
            check_at=now + gateway.timing.first_query_after,
        )
        save_payout(uow, processing, PayoutStatus.PENDING)
        if case.status is CaseStatus.APPROVED:
            move_case(uow, case, CaseStatus.REFUNDING, at=now, actor=SYSTEM, codes=("refund_started",))
        uow.commit()
        return processing


def _call(ctx: Context, payout: Payout, *, resend: bool) -> Payout:
    """Ask the gateway to refund under the payout's number; record what it said, which is never final."""
    gateway = gateway_of(ctx, payout)
    with ctx.read() as uow:
        order = uow.orders.get(payout.order_id)
    assert order is not None
    first = gateway.timing.first_query_after.total_seconds()
    try:
        answer = gateway.refund(request_for(order, payout))
    except GatewayUnavailable as exc:
        # The outcome is unknown: the follow-up queries under the same number and sends again
        # only if the gateway has nothing under it.
        log.warning("gateway %s did not answer for payout %s: %s", payout.route.value, payout.id, exc)
        return payout
    except GatewayRefused as exc:
        if exc.retry_later:
            log.info("gateway %s asks to send payout %s again later: %s", payout.route.value, payout.id, exc)
            return _check_at(ctx, payout, ctx.clock.now() + timedelta(seconds=max(first, 60.0)))
        if resend:
            return _refused_again(ctx, gateway, order, payout, exc)
        return _refused(ctx, payout.id, exc)
    with ctx.uow() as uow:
        current = uow.payouts.get(payout.id, lock=True)
        assert current is not None
        if current.status is PayoutStatus.PROCESSING and answer.gateway_refund_id and not current.voucher:
            current = replace(current, voucher=answer.gateway_refund_id, updated_at=ctx.clock.now())
            save_payout(uow, current, PayoutStatus.PROCESSING)
        uow.commit()
    if resend:
        log.info("payout %s sent again under the same number", payout.id)
    return current


def _refused(ctx: Context, payout_id: str, exc: GatewayRefused) -> Payout:
    """The gateway refused the request itself: nothing was paid; the buyer may take the balance."""
    with ctx.uow() as uow:
        _, case, payout = lock(uow, payout_id)
        if payout.status is not PayoutStatus.PROCESSING:
            return payout
        now = ctx.clock.now()
        failed = payout.move(PayoutStatus.FAILED, now, failure=f"{exc.code}: {exc.message}")
        save_payout(uow, failed, PayoutStatus.PROCESSING)
        note_on_case(uow, case, now, "gateway_refund_failed", exc.code)
        uow.commit()
        return failed


def _refused_again(ctx: Context, gateway: Gateway, order: Order, payout: Payout, exc: GatewayRefused) -> Payout:
    """A number sent before was refused when sent again: fail it only if the gateway still has nothing.

    A refund may exist under the number that the last query did not show yet; failing the
    payout then would let the balance pay a second time. So ask once more: nothing there and
    a refusal are two answers that agree; anything else is applied or looked at again.
    """
    try:
        answer = gateway.query(request_for(order, payout))
    except (GatewayUnavailable, GatewayRefused) as again:
        log.warning("payout %s: resend refused (%s) and the query failed (%s)", payout.id, exc, again)
        return _later(ctx, payout, gateway)
    if answer.state is RefundState.NOT_FOUND:
        return _refused(ctx, payout.id, exc)
    if answer.state is RefundState.PROCESSING:
        return _later(ctx, payout, gateway, answer)
    return apply(ctx, answer, provider=payout.route.value, source="query")


def follow_up(ctx: Context, payout_id: str) -> Payout:
    """Look at a processing payout again when its time has come; any other is left as it is."""
    payout = _get(ctx, payout_id)
    if payout.status is not PayoutStatus.PROCESSING:
        return payout
    return confirm(ctx, payout)


def confirm(ctx: Context, payout: Payout) -> Payout:
    """Query the gateway about a processing payout and apply a final answer."""
    gateway = gateway_of(ctx, payout)
    now = ctx.clock.now()
    assert payout.sent_at is not None
    ready = payout.sent_at + gateway.timing.first_query_after
    if now < ready:
        # Alipay asks for 10 s before the first query; an early one may find nothing yet.
        return _check_at(ctx, payout, ready)
    with ctx.read() as uow:
        order = uow.orders.get(payout.order_id)
    assert order is not None
    try:
        answer = gateway.query(request_for(order, payout))
    except GatewayUnavailable as exc:
        log.warning("gateway %s query failed for payout %s: %s", payout.route.value, payout.id, exc)
        return _later(ctx, payout, gateway)
    except GatewayRefused as exc:
        log.warning("gateway %s refused the query of payout %s: %s", payout.route.value, payout.id, exc)
        return _later(ctx, payout, gateway)
    if answer.state is RefundState.NOT_FOUND:
        # Nothing under the number: the request never arrived (or Alipay's empty answer).
        # Sending again under the same number is what both gateways ask for.
        again = _later(ctx, payout, gateway, sending_again=True)
        if again.status is not PayoutStatus.PROCESSING:
            return again
        return _call(ctx, again, resend=True)
    if answer.state is RefundState.PROCESSING:
        return _later(ctx, payout, gateway, answer)
    return apply(ctx, answer, provider=payout.route.value, source="query")


def _later(
    ctx: Context, payout: Payout, gateway: Gateway, answer: RefundAnswer | None = None, *, sending_again: bool = False
) -> Payout:
    """Keep a processing payout and set when to look again; the sweep picks it up then.

    ``sending_again`` counts the attempt about to be made under the same number.
    """
    with ctx.uow() as uow:
        current = uow.payouts.get(payout.id, lock=True)
        assert current is not None
        if current.status is not PayoutStatus.PROCESSING:
            return current
        now = ctx.clock.now()
        assert current.sent_at is not None
        voucher = current.voucher or (answer.gateway_refund_id if answer else None)
        attempts = current.attempts + 1 if sending_again else current.attempts
        current = replace(
            current,
            check_at=next_check(gateway, current.sent_at, now),
            voucher=voucher,
            updated_at=now,
            attempts=attempts,
        )
        save_payout(uow, current, PayoutStatus.PROCESSING)
        uow.commit()
        return current


def _check_at(ctx: Context, payout: Payout, at: datetime) -> Payout:
    """Keep a processing payout and look at it again no earlier than ``at``."""
    with ctx.uow() as uow:
        current = uow.payouts.get(payout.id, lock=True)
        assert current is not None
        if current.status is not PayoutStatus.PROCESSING or (current.check_at is not None and current.check_at >= at):
            return current
        current = replace(current, check_at=at, updated_at=ctx.clock.now())
        save_payout(uow, current, PayoutStatus.PROCESSING)
        uow.commit()
        return current


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
        peek = uow.payouts.get(answer.refund_no)
        if notice is not None:
            fresh = uow.notices.add(provider, notice[0], answer.refund_no, notice[1], ctx.clock.now())
            if not fresh:
                if peek is None:
                    raise NotFound(f"payout {answer.refund_no} not found")
                return peek
        if peek is None:
            detail = f"{source}: no payout {answer.refund_no}"
            _alert(ctx, uow, answer.refund_no, provider, AlertKind.UNKNOWN_REFUND, detail)
            uow.commit()
            raise NotFound(f"payout {answer.refund_no} not found")
        order, case, payout = lock(uow, payout_id=peek.id)
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
    payout_id: str,
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


def _get(ctx: Context, payout_id: str) -> Payout:
    with ctx.read() as uow:
        payout = uow.payouts.get(payout_id)
    if payout is None:
        raise NotFound(f"payout {payout_id} not found")
    return payout


def lock(uow: UnitOfWork, payout_id: str) -> tuple[Order, Case, Payout]:
    """Lock in the one order every writer takes: order, then case, then payout."""
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
