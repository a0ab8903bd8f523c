"""WeChat Pay's limits, kept before asking it: a year, fifty refunds, a minute between two."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.support.builders import PAID_AT, payout
from tuika.domain.errors import RefundLimitReached
from tuika.domain.ledger import FEE_INCOME, PLATFORM_CLEARING, gateway_clearing, refund_by_gateway
from tuika.domain.money import Money
from tuika.domain.payouts import Payout, PayoutRoute
from tuika.domain.refund_limits import check_open, wait_before_sending

WECHAT, ALIPAY = PayoutRoute.WECHAT, PayoutRoute.ALIPAY


def sent(n: int, route: PayoutRoute = WECHAT, at: timedelta = timedelta(hours=1)) -> Payout:
    return replace(payout(f"po_{n}"), route=route, sent_at=PAID_AT + at)


def test_a_year_after_payment_wechat_takes_no_refund_but_a_day_before_it_does() -> None:
    check_open(WECHAT, PAID_AT, PAID_AT + timedelta(days=364), [])

    with pytest.raises(RefundLimitReached, match="within 365 days"):
        check_open(WECHAT, PAID_AT, PAID_AT + timedelta(days=366), [])
    check_open(ALIPAY, PAID_AT, PAID_AT + timedelta(days=366), [])  # Alipay's limits are its own


def test_the_fifty_first_refund_of_an_order_is_refused_counting_only_what_was_sent() -> None:
    fifty = [sent(n) for n in range(50)]
    unsent = [replace(payout(f"po_x{n}"), route=WECHAT) for n in range(10)]

    check_open(WECHAT, PAID_AT, PAID_AT + timedelta(days=1), fifty[:49] + unsent)
    with pytest.raises(RefundLimitReached, match="at most 50 times"):
        check_open(WECHAT, PAID_AT, PAID_AT + timedelta(days=1), fifty)
    check_open(WECHAT, PAID_AT, PAID_AT + timedelta(days=1), [sent(n, ALIPAY) for n in range(60)])


def test_a_second_refund_within_a_minute_waits_for_the_rest_of_it() -> None:
    last = sent(1, at=timedelta(hours=1))
    now = PAID_AT + timedelta(hours=1, seconds=20)

    assert wait_before_sending(WECHAT, now, [last]) == timedelta(seconds=40)
    assert wait_before_sending(WECHAT, now + timedelta(seconds=40), [last]) == timedelta(0)
    assert wait_before_sending(WECHAT, now, []) == timedelta(0)
    assert wait_before_sending(ALIPAY, now, [replace(last, route=ALIPAY)]) == timedelta(0)


def test_a_gateway_refund_moves_clearing_to_the_gateway_and_keeps_the_fee() -> None:
    posting = refund_by_gateway(route="wechat", refundable=Money(10_000), fee=Money(100), memo="m", payout_id="po_1")

    assert {e.account: e.amount.fen for e in posting.entries} == {
        PLATFORM_CLEARING: -10_000,
        gateway_clearing("wechat"): 9_900,
        FEE_INCOME: 100,
    }
