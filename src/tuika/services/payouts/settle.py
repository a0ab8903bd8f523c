"""Finish a payout: post the money, note it on the case. Shared by the balance and every gateway."""

from __future__ import annotations

from tuika.domain.cases import Case, CaseStatus
from tuika.domain.ledger import Posting, clawback, fault_fee, refund_by_gateway, refund_to_balance
from tuika.domain.orders import Order
from tuika.domain.payouts import Payout, PayoutRoute, PayoutStatus
from tuika.domain.policy import LiableParty
from tuika.services.context import SYSTEM, Context
from tuika.services.moves import end_hold, move_case, save_payout
from tuika.services.ports import UnitOfWork

# A memo holds 200 characters: the product's name, the words and the claim's id fit in it.
_PRODUCT_MAX = 120
# What the buyer's timeline says when the money is back, by route.
_DONE_CODES = {
    PayoutRoute.BALANCE: "refunded_to_balance",
    PayoutRoute.ALIPAY: "refunded_by_original_route",
    PayoutRoute.WECHAT: "refunded_by_original_route",
    PayoutRoute.BANK_CARD: "refunded_by_original_route",
}


def memo_of(order: Order, case: Case, what: str) -> str:
    """Return a memo as a person reads it, the product first and the claim kept for support: 京东E卡 100元 退款（…）."""
    product = (order.title or order.sku)[:_PRODUCT_MAX]
    return f"{product} {what}（退卡申请 {case.id}）"


def refund_posting(order: Order, case: Case, payout: Payout) -> Posting:
    """Return the posting of a refund by its route: to the balance, or paid out by a gateway."""
    memo = memo_of(order, case, "退款")
    if payout.route is PayoutRoute.BALANCE:
        return refund_to_balance(
            buyer_id=order.buyer_id, refundable=payout.refundable, fee=payout.fee, memo=memo, payout_id=payout.id
        )
    return refund_by_gateway(
        route=payout.route.value, refundable=payout.refundable, fee=payout.fee, memo=memo, payout_id=payout.id
    )


def succeed(ctx: Context, uow: UnitOfWork, order: Order, case: Case, payout: Payout, voucher: str) -> Payout:
    """Record a refund that reached the buyer: the ledger, the payout, the case. The caller commits.

    The caller holds the order, case and payout row locks and has checked that ``payout`` is
    not final; the ledger's unique key on (payout, kind) stops a second posting regardless.
    """
    now = ctx.clock.now()
    uow.ledger.post(refund_posting(order, case, payout), "refund", now)
    # A refund on the merchant's fault comes out of what was held for the claim; any other's
    # releases the hold, and the party at fault (if any) pays from its deposit.
    on_merchant = case.liable is LiableParty.MERCHANT
    from_hold = end_hold(uow, case, now, recover=payout.refundable if on_merchant else None, payout_id=payout.id)
    recovered = clawback(
        liable=case.liable,
        supplier_id=order.supplier_id,
        merchant_id=order.merchant_id,
        amount=payout.refundable,
        memo=memo_of(order, case, "退款追偿"),
        payout_id=payout.id,
    )
    if recovered is not None and not (on_merchant and from_hold):
        uow.ledger.post(recovered, "clawback", now)
    # The policy the claim was judged under says what the party at fault pays on top, from its deposit.
    charged = ctx.policies.version(uow, case.policy_version).fault_fees.get(case.liable)
    handling = None if charged is None else charged.on(payout.refundable)
    posting = None
    if handling:
        posting = fault_fee(
            liable=case.liable,
            supplier_id=order.supplier_id,
            merchant_id=order.merchant_id,
            amount=handling,
            memo=memo_of(order, case, "责任方处理费"),
            payout_id=payout.id,
        )
    if posting is not None:
        uow.ledger.post(posting, "fault_fee", now)
    sent = payout
    if payout.status is PayoutStatus.PENDING:
        sent = payout.move(PayoutStatus.PROCESSING, now, attempts=payout.attempts + 1, sent_at=now)
    done = sent.move(PayoutStatus.SUCCEEDED, now, voucher=voucher)
    save_payout(uow, done, payout.status)
    if case.status is CaseStatus.APPROVED:
        case = move_case(uow, case, CaseStatus.REFUNDING, at=now, actor=SYSTEM, codes=("refund_started",))
    if case.status is CaseStatus.REFUNDING:
        move_case(
            uow,
            case,
            CaseStatus.REFUNDED,
            at=now,
            actor=SYSTEM,
            codes=(_DONE_CODES[payout.route],),
            # A balance payout's voucher is its own id, which tells nobody anything; a gateway's
            # refund number is what the buyer quotes to the bank or the wallet.
            note="" if payout.route is PayoutRoute.BALANCE else f"渠道退款单号 {voucher}",
        )
    return done
