"""Finance's side of refunds: what needs a person, and the two ways out of a stuck refund.

A failed original-route refund can go to the balance instead, asked by the buyer or by
finance, never both: the redirect is a new balance payout that names the failed one, and the
database lets one payout name it. An abnormal WeChat refund (the buyer's card refused it) has
the way out WeChat offers — refund to the merchant's bank card, who pays the buyer — or the
balance. A failed refund its gateway disputes (it says it paid after all) has neither until
finance resolves the dispute, which asks the payout's own gateway again (``resolve_alert``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from tuika.domain.alerts import (
    DISPUTING,
    AlertOutcome,
    PayoutAlert,
    settle_dispute,
)
from tuika.domain.cases import Role
from tuika.domain.errors import (
    AlertAlreadyResolved,
    AlreadyRedirected,
    DuplicateKey,
    GatewayBusy,
    NotFound,
    NotRedirectable,
    OutcomeDisputed,
)
from tuika.domain.gateway import GatewayRefused, GatewayUnavailable, RefundAnswer
from tuika.domain.ids import PayoutId, new_id
from tuika.domain.payouts import Payout, PayoutRoute, PayoutStatus
from tuika.services.context import Actor, Context
from tuika.services.locks import lock_alert, lock_payout
from tuika.services.moves import note_on_case, open_payout_row, save_payout
from tuika.services.payouts.gateways import gateway_of, request_for
from tuika.services.payouts.opening import check_order_cap
from tuika.services.payouts.settle import succeed
from tuika.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class FinanceQueue:
    abnormal: tuple[Payout, ...]
    failed: tuple[Payout, ...]
    overdue: tuple[Payout, ...]
    # Payouts an open alert disputes: their outcome is unknown until finance resolves it.
    disputed: tuple[Payout, ...]
    alerts: tuple[PayoutAlert, ...]


def queue(ctx: Context, actor: Actor, limit: int = 200) -> FinanceQueue:
    """Return the refunds waiting for finance: abnormal, failed and not redirected, overdue, disputed; open alerts."""
    actor.require(Role.ADMIN)
    now = ctx.clock.now()
    with ctx.read() as uow:
        alerts = uow.alerts.open(limit)
        contested = uow.alerts.disputed(sorted({a.payout_id for a in alerts}))
        disputed = [p for p in (uow.payouts.get(i) for i in sorted(contested)) if p is not None]
        abnormal = [p for p in uow.payouts.in_status((PayoutStatus.ABNORMAL,), limit) if p.id not in contested]
        failed = [
            p
            for p in uow.payouts.in_status((PayoutStatus.FAILED,), limit)
            if p.route is not PayoutRoute.BALANCE and p.id not in contested and uow.payouts.redirect_of(p.id) is None
        ]
        processing = uow.payouts.in_status((PayoutStatus.PROCESSING,), limit)
    overdue = [p for p in processing if _overdue(ctx, p, now)]
    return FinanceQueue(tuple(abnormal), tuple(failed), tuple(overdue), tuple(disputed), tuple(alerts))


def _overdue(ctx: Context, payout: Payout, now: datetime) -> bool:
    gateway = ctx.gateways.get(payout.route)
    if gateway is None or payout.sent_at is None:
        return False
    return now - payout.sent_at > gateway.timing.expected_within


def redirect_to_balance(ctx: Context, actor: Actor, payout_id: PayoutId) -> Payout:
    """Send a failed or abnormal original-route refund to the balance instead, once."""
    actor.require(Role.BUYER, Role.ADMIN)
    try:
        with ctx.uow() as uow:
            peek = uow.payouts.get(payout_id)
            if peek is None or not actor.owns(peek.buyer_id):
                raise NotFound(f"payout {payout_id} not found")
            order, case, payout = lock_payout(uow, payout_id)
            if payout.route is PayoutRoute.BALANCE or payout.status not in (PayoutStatus.FAILED, PayoutStatus.ABNORMAL):
                raise NotRedirectable(f"payout {payout_id} is {payout.status.value} by {payout.route.value}")
            if uow.payouts.redirect_of(payout.id) is not None:
                raise AlreadyRedirected(f"payout {payout_id} was already sent to the balance")
            if payout.id in uow.alerts.disputed([payout.id]):
                # The gateway says it paid after all: the balance paying too could pay twice.
                raise OutcomeDisputed(f"payout {payout_id} has an open dispute with {payout.route.value}")
            now = ctx.clock.now()
            if payout.status is PayoutStatus.ABNORMAL:
                why = f"redirected to the balance by {actor.role.value}"
                closed = payout.move(PayoutStatus.FAILED, now, failure=why)
                save_payout(uow, closed, PayoutStatus.ABNORMAL)
            balance = replace(
                payout,
                id=PayoutId(new_id("po")),
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
            check_order_cap(uow, order, balance)
            open_payout_row(uow, balance)
            note_on_case(uow, case, now, "redirected_to_balance", f"{actor.role.value} {payout.id} → {balance.id}")
            uow.commit()
            return balance
    except DuplicateKey as exc:
        # The buyer and finance at the same moment: the unique key let the other one in.
        raise AlreadyRedirected(f"payout {payout_id} was already sent to the balance") from exc


def resolve_abnormal(ctx: Context, actor: Actor, payout_id: PayoutId) -> Payout:
    """Take the gateway's way out of an abnormal refund: it pays the merchant's bank card, who pays the buyer."""
    actor.require(Role.ADMIN)
    with ctx.read() as uow:
        payout = uow.payouts.get(payout_id)
        order = uow.orders.get(payout.order_id) if payout is not None else None
    if payout is None or order is None:
        raise NotFound(f"payout {payout_id} not found")
    if payout.status is not PayoutStatus.ABNORMAL or not payout.voucher:
        raise NotRedirectable(f"payout {payout_id} is {payout.status.value}, not abnormal")
    gateway = gateway_of(ctx, payout)
    try:
        gateway.resolve_abnormal(request_for(order, payout), payout.voucher)
    except GatewayUnavailable as exc:
        raise GatewayBusy(str(exc)) from exc
    except GatewayRefused as exc:
        raise NotRedirectable(f"{exc.code}: {exc.message}") from exc
    with ctx.uow() as uow:
        _, case, current = lock_payout(uow, payout_id)
        if current.status is not PayoutStatus.ABNORMAL:
            return current
        now = ctx.clock.now()
        sent = current.move(PayoutStatus.PROCESSING, now, check_at=now + gateway.timing.first_query_after)
        save_payout(uow, sent, PayoutStatus.ABNORMAL)
        note_on_case(uow, case, now, "gateway_refund_resent")
        uow.commit()
        return sent


def resolve_alert(ctx: Context, actor: Actor, alert_id: str, note: str) -> PayoutAlert:
    """End an alert: a dispute by the payout's own gateway's current word, anything else as noted.

    A dispute (the gateway reported the payout paid, or another amount, against our record) is
    settled by asking the gateway again under the same number, with no transaction open: paid
    after all makes the payout succeeded (posted once, the case refunded); nothing paid lets the
    failure stand and the balance be offered; a word that settles nothing keeps it open. Every
    open dispute of that payout ends with it. Any other alert changes no money and is noted.
    """
    actor.require(Role.ADMIN)
    with ctx.read() as uow:
        alert = uow.alerts.get(alert_id)
        payout = uow.payouts.get(alert.payout_id) if alert is not None else None
        order = uow.orders.get(payout.order_id) if payout is not None else None
    if alert is None:
        raise NotFound(f"alert {alert_id} not found")
    if alert.resolved_at is not None:
        raise AlertAlreadyResolved(f"alert {alert_id} was resolved by {alert.resolved_by}")
    answer = None
    if alert.kind in DISPUTING and payout is not None and order is not None and payout.route is not PayoutRoute.BALANCE:
        gateway = gateway_of(ctx, payout)
        try:
            answer = gateway.query(request_for(order, payout))
        except (GatewayUnavailable, GatewayRefused) as exc:
            raise GatewayBusy(f"{payout.route.value}: {exc}") from exc
    with ctx.uow() as uow:
        if payout is None or answer is None:
            done = _end(ctx, uow, _open(uow, alert_id), actor, AlertOutcome.ACKNOWLEDGED, note)
            uow.commit()
            return done
        _, case, current = lock_payout(uow, payout.id)
        asked = _open(uow, alert_id)
        outcome = settle_dispute(
            current.status,
            uow.payouts.redirect_of(current.id) is not None,
            answer.state,
            amount_matches=answer.amount is None or answer.amount == current.amount,
        )
        if outcome is AlertOutcome.PAID_BY_GATEWAY:
            order = uow.orders.get(current.order_id)
            assert order is not None
            succeed(ctx, uow, order, case, current, _voucher(answer, current))
        elif outcome is AlertOutcome.NOT_PAID:
            note_on_case(uow, case, ctx.clock.now(), "dispute_resolved_not_paid")
        others = [a for a in uow.alerts.for_payout(current.id) if a.disputes and a.id != asked.id]
        done = _end(ctx, uow, asked, actor, outcome, note)
        for other in others:
            _end(ctx, uow, other, actor, outcome, note)
        uow.commit()
    return done


def _voucher(answer: RefundAnswer, payout: Payout) -> str:
    return answer.gateway_refund_id or payout.voucher or payout.id


def _open(uow: UnitOfWork, alert_id: str) -> PayoutAlert:
    """Return an alert under its row lock (taken after the payout's), refusing one resolved meanwhile."""
    alert = lock_alert(uow, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id} not found")
    if alert.resolved_at is not None:
        raise AlertAlreadyResolved(f"alert {alert_id} was resolved by {alert.resolved_by}")
    return alert


def _end(
    ctx: Context, uow: UnitOfWork, alert: PayoutAlert, actor: Actor, outcome: AlertOutcome, note: str
) -> PayoutAlert:
    """Store an open alert's resolution."""
    ended = replace(alert, resolved_at=ctx.clock.now(), resolved_by=actor.subject, outcome=outcome, note=note)
    uow.alerts.resolve(ended)
    return ended
