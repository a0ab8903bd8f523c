"""Ask the gateway about a refund it was sent until it gives its final word, then apply that word."""

from __future__ import annotations

import logging

from tuika.domain.gateway import GatewayRefused, GatewayUnavailable, RefundState
from tuika.domain.ids import PayoutId
from tuika.domain.payouts import Payout, PayoutStatus
from tuika.services.context import Context
from tuika.services.payouts.applying import apply
from tuika.services.payouts.gateways import check_at, check_later, gateway_of, read_payout, request_for
from tuika.services.payouts.sending import resend

log = logging.getLogger(__name__)


def follow_up(ctx: Context, payout_id: PayoutId) -> Payout:
    """Look at a processing payout again when its time has come; any other is left as it is."""
    payout = read_payout(ctx, payout_id)
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
        return check_at(ctx, payout, ready)
    with ctx.read() as uow:
        order = uow.orders.get(payout.order_id)
    assert order is not None
    try:
        answer = gateway.query(request_for(order, payout))
    except GatewayUnavailable as exc:
        log.warning("gateway %s query failed for payout %s: %s", payout.route.value, payout.id, exc)
        return check_later(ctx, payout, gateway)
    except GatewayRefused as exc:
        log.warning("gateway %s refused the query of payout %s: %s", payout.route.value, payout.id, exc)
        return check_later(ctx, payout, gateway)
    if answer.state is RefundState.NOT_FOUND:
        # Nothing under the number: the request never arrived (or Alipay's empty answer).
        # Sending again under the same number is what both gateways ask for.
        again = check_later(ctx, payout, gateway, sending_again=True)
        if again.status is not PayoutStatus.PROCESSING:
            return again
        return resend(ctx, again)
    if answer.state is RefundState.PROCESSING:
        return check_later(ctx, payout, gateway, answer)
    return apply(ctx, answer, provider=payout.route.value, source="query")
