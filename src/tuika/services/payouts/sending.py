"""Refunds by the original route: sent once under the payout's number, settled only by what the gateway confirms.

A payout goes pending → processing (the number is stored as sent *before* the request goes
out) → succeeded | failed | abnormal. The refund call's answer moves nothing to a final
state; a query (``confirming``) or a verified notice (``notices``) does, through
``applying.apply``, under the order, case and payout row locks, comparing amount and state.
The request number never changes, so a retry after a timeout, a crash or an empty query
reaches the same refund at the gateway, never a second one.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

from tuika.domain.cases import CaseStatus
from tuika.domain.errors import RefundLimitReached
from tuika.domain.gateway import GatewayRefused, GatewayUnavailable, RefundState
from tuika.domain.ids import PayoutId
from tuika.domain.orders import Order
from tuika.domain.payouts import Payout, PayoutStatus
from tuika.domain.refund_limits import check_open, wait_before_sending
from tuika.services.context import SYSTEM, Context
from tuika.services.locks import lock_payout, lock_payout_only
from tuika.services.moves import move_case, note_on_case, save_payout
from tuika.services.payouts.applying import apply
from tuika.services.payouts.gateways import check_at, check_later, gateway_of, read_payout, request_for
from tuika.services.ports import Gateway

log = logging.getLogger(__name__)


def send(ctx: Context, payout_id: PayoutId) -> Payout:
    """Send a pending payout to its gateway; the caller has voided live keys already."""
    sent = _mark_sent(ctx, payout_id)
    if sent is None or sent.status is not PayoutStatus.PROCESSING:
        return sent if sent is not None else read_payout(ctx, payout_id)
    return _call(ctx, sent, resend=False)


def resend(ctx: Context, payout: Payout) -> Payout:
    """Send a processing payout again under its own number: the gateway has nothing under it."""
    return _call(ctx, payout, resend=True)


def _mark_sent(ctx: Context, payout_id: PayoutId) -> Payout | None:
    """Store pending → processing with the send time; None when the gateway's gap says wait."""
    with ctx.uow() as uow:
        order, case, payout = lock_payout(uow, payout_id)
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
            return check_at(ctx, payout, ctx.clock.now() + timedelta(seconds=max(first, 60.0)))
        if resend:
            return _refused_again(ctx, gateway, order, payout, exc)
        return _refused(ctx, payout.id, exc)
    with ctx.uow() as uow:
        current = lock_payout_only(uow, payout.id)
        if current.status is PayoutStatus.PROCESSING and answer.gateway_refund_id and not current.voucher:
            current = replace(current, voucher=answer.gateway_refund_id, updated_at=ctx.clock.now())
            save_payout(uow, current, PayoutStatus.PROCESSING)
        uow.commit()
    if resend:
        log.info("payout %s sent again under the same number", payout.id)
    return current


def _refused(ctx: Context, payout_id: PayoutId, exc: GatewayRefused) -> Payout:
    """The gateway refused the request itself: nothing was paid; the buyer may take the balance."""
    with ctx.uow() as uow:
        _, case, payout = lock_payout(uow, payout_id)
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
        return check_later(ctx, payout, gateway)
    if answer.state is RefundState.NOT_FOUND:
        return _refused(ctx, payout.id, exc)
    if answer.state is RefundState.PROCESSING:
        return check_later(ctx, payout, gateway, answer)
    return apply(ctx, answer, provider=payout.route.value, source="query")
