"""What the steps of a gateway refund share: the payout's gateway, what it is asked, when to ask again."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Final

from tuika.domain.errors import NotFound
from tuika.domain.gateway import RefundAnswer, RefundRequest
from tuika.domain.ids import PayoutId
from tuika.domain.orders import Order
from tuika.domain.payouts import Payout, PayoutStatus
from tuika.services.context import Context
from tuika.services.locks import lock_payout_only
from tuika.services.moves import save_payout
from tuika.services.ports import Gateway

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
    """Return the gateway of the payout's route; raise ``NotFound`` if none is configured."""
    gateway = ctx.gateways.get(payout.route)
    if gateway is None:
        raise NotFound(f"no gateway for {payout.route.value} is configured")
    return gateway


def next_check(gateway: Gateway, sent_at: datetime, now: datetime) -> datetime:
    """Return when to ask about a processing refund again: half its age, between the first gap and an hour."""
    first = gateway.timing.first_query_after
    gap = min(max(first, (now - sent_at) / 2), max(first, MAX_CHECK_GAP))
    return max(now + gap, sent_at + first)


def check_later(
    ctx: Context, payout: Payout, gateway: Gateway, answer: RefundAnswer | None = None, *, sending_again: bool = False
) -> Payout:
    """Keep a processing payout and set when to look again; the sweep picks it up then.

    ``sending_again`` counts the attempt about to be made under the same number.
    """
    with ctx.uow() as uow:
        current = lock_payout_only(uow, payout.id)
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


def check_at(ctx: Context, payout: Payout, at: datetime) -> Payout:
    """Keep a processing payout and look at it again no earlier than ``at``."""
    with ctx.uow() as uow:
        current = lock_payout_only(uow, payout.id)
        if current.status is not PayoutStatus.PROCESSING or (current.check_at is not None and current.check_at >= at):
            return current
        current = replace(current, check_at=at, updated_at=ctx.clock.now())
        save_payout(uow, current, PayoutStatus.PROCESSING)
        uow.commit()
        return current


def read_payout(ctx: Context, payout_id: PayoutId) -> Payout:
    """Return a payout as it is now; raise ``NotFound`` if there is none."""
    with ctx.read() as uow:
        payout = uow.payouts.get(payout_id)
    if payout is None:
        raise NotFound(f"payout {payout_id} not found")
    return payout
