"""Finance's side of refunds: what needs a person, and the two ways out of a stuck refund.

A failed original-route refund can go to the balance instead, asked by the buyer or by
finance, never both: the redirect is a new balance payout that names the failed one, and the
database lets one payout name it. An abnormal WeChat refund (the buyer's card refused it) has
the way out WeChat offers — refund to the merchant's bank card, who pays the buyer — or the
balance.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from tuika.domain.cases import Role
from tuika.domain.errors import Conflict, NotFound
from tuika.domain.gateway import GatewayRefused, GatewayUnavailable
from tuika.domain.ids import new_id
from tuika.domain.payouts import Payout, PayoutRoute, PayoutStatus, check_cap
from tuika.services import refunds
from tuika.services.context import Actor, Context
from tuika.services.ports import DuplicateKey, PayoutAlert
from tuika.services.settle import note_on_case


class NotRedirectable(Conflict):
    code = "payout_not_redirectable"
    title = "Only a failed or abnormal original-route refund can go to the balance"
    title_zh = "只有失败或异常的原路退款可以改退至余额"


class AlreadyRedirected(Conflict):
    code = "payout_already_redirected"
    title = "This refund has already been sent to the balance"
    title_zh = "该退款已改退至余额"


class GatewayBusy(Conflict):
    code = "gateway_unavailable"
    title = "The payment gateway did not answer; try again shortly"
    title_zh = "支付渠道暂无响应，请稍后重试"


@dataclass(frozen=True, slots=True)
class FinanceQueue:
    abnormal: tuple[Payout, ...]
    failed: tuple[Payout, ...]
    overdue: tuple[Payout, ...]
    alerts: tuple[PayoutAlert, ...]


def queue(ctx: Context, actor: Actor, limit: int = 200) -> FinanceQueue:
    """Return the refunds waiting for finance: abnormal, failed and not redirected, overdue; and alerts."""
    actor.require(Role.ADMIN)
    now = ctx.clock.now()
    with ctx.read() as uow:
        abnormal = uow.payouts.in_status((PayoutStatus.ABNORMAL,), limit)
        failed = [
            p
            for p in uow.payouts.in_status((PayoutStatus.FAILED,), limit)
            if p.route is not PayoutRoute.BALANCE and uow.payouts.redirect_of(p.id) is None
        ]
        processing = uow.payouts.in_status((PayoutStatus.PROCESSING,), limit)
        alerts = uow.alerts.recent(limit)
    overdue = [p for p in processing if _overdue(ctx, p, now)]
    return FinanceQueue(tuple(abnormal), tuple(failed), tuple(overdue), tuple(alerts))


def _overdue(ctx: Context, payout: Payout, now: datetime) -> bool:
    gateway = ctx.gateways.get(payout.route)
    if gateway is None or payout.sent_at is None:
        return False
    return now - payout.sent_at > gateway.timing.expected_within


def redirect_to_balance(ctx: Context, actor: Actor, payout_id: str) -> Payout:
    """Send a failed or abnormal original-route refund to the balance instead, once."""
    actor.require(Role.BUYER, Role.ADMIN)
    try:
        with ctx.uow() as uow:
            peek = uow.payouts.get(payout_id)
            if peek is None or not actor.owns(peek.buyer_id):
                raise NotFound(f"payout {payout_id} not found")
            order, case, payout = refunds.lock(uow, payout_id)
            if payout.route is PayoutRoute.BALANCE or payout.status not in (PayoutStatus.FAILED, PayoutStatus.ABNORMAL):
                raise NotRedirectable(f"payout {payout_id} is {payout.status.value} by {payout.route.value}")
            if uow.payouts.redirect_of(payout.id) is not None:
                raise AlreadyRedirected(f"payout {payout_id} was already sent to the balance")
            now = ctx.clock.now()
            if payout.status is PayoutStatus.ABNORMAL:
                why = f"redirected to the balance by {actor.role.value}"
                closed = payout.move(PayoutStatus.FAILED, now, failure=why)
                uow.payouts.save(closed, PayoutStatus.ABNORMAL)
            balance = replace(
                payout,
                id=new_id("po"),
                route=PayoutRoute.BALANCE,
                status=PayoutStatus.PENDING,
                created_at=now,
                updated_at=now,
                attempts=0,
                voucher=None,
                failure=None,
                sent_at=None,
                check_at=None,
                redirected_from=payout.id,
            )
            # The failed one no longer counts against the order; the new one must still fit.
            check_cap(order.amount, order.item_amounts(), uow.payouts.for_order(order.id), balance)
            uow.payouts.add(balance)
            note_on_case(ctx, uow, case, "redirected_to_balance", f"{actor.role.value} {payout.id} → {balance.id}")
            uow.on_commit(lambda: ctx.dispatcher.pay(balance.id))
            uow.commit()
            return balance
    except DuplicateKey as exc:
        # The buyer and finance at the same moment: the unique key let the other one in.
        raise AlreadyRedirected(f"payout {payout_id} was already sent to the balance") from exc


def resolve_abnormal(ctx: Context, actor: Actor, payout_id: str) -> Payout:
    """Take the gateway's way out of an abnormal refund: it pays the merchant's bank card, who pays the buyer."""
    actor.require(Role.ADMIN)
    with ctx.read() as uow:
        payout = uow.payouts.get(payout_id)
        order = uow.orders.get(payout.order_id) if payout is not None else None
    if payout is None or order is None:
        raise NotFound(f"payout {payout_id} not found")
    if payout.status is not PayoutStatus.ABNORMAL or not payout.voucher:
        raise NotRedirectable(f"payout {payout_id} is {payout.status.value}, not abnormal")
    gateway = refunds.gateway_of(ctx, payout)
    try:
        gateway.resolve_abnormal(refunds.request_for(order, payout), payout.voucher)
    except GatewayUnavailable as exc:
        raise GatewayBusy(str(exc)) from exc
    except GatewayRefused as exc:
        raise NotRedirectable(f"{exc.code}: {exc.message}") from exc
    with ctx.uow() as uow:
        _, case, current = refunds.lock(uow, payout_id)
        if current.status is not PayoutStatus.ABNORMAL:
            return current
        now = ctx.clock.now()
        sent = current.move(PayoutStatus.PROCESSING, now, check_at=now + gateway.timing.first_query_after)
        uow.payouts.save(sent, PayoutStatus.ABNORMAL)
        note_on_case(ctx, uow, case, "gateway_refund_resent")
        delay = gateway.timing.first_query_after.total_seconds()
        uow.on_commit(lambda: ctx.dispatcher.follow_up(payout_id, delay))
        uow.commit()
        return sent
