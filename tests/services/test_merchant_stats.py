"""A merchant's refund figures over 7 and 30 days, counted in the database: its own orders and claims only."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from tests.support.builders import case, order
from tuika.bootstrap import System
from tuika.domain.cases import CaseStatus, Role
from tuika.domain.clock import FixedClock
from tuika.domain.errors import Forbidden
from tuika.domain.money import Money
from tuika.domain.orders import OrderItem
from tuika.domain.policy import Reason
from tuika.services.context import Actor
from tuika.services.merchant.stats import statistics

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
MERCHANT = Actor("m_1", Role.MERCHANT)
R = Reason
S = CaseStatus

# (order id, merchant, paid ago) and, for those claimed, (filed ago, reason, status, refundable, fee).
SOLD = [
    ("ord_s1", "m_1", timedelta(days=1), (timedelta(hours=20), R.CARD_INVALID, S.REFUNDED, 10_000, 0)),
    ("ord_s2", "m_1", timedelta(days=1), (timedelta(hours=10), R.NOT_DELIVERED, S.APPROVED, 5_000, 500)),
    ("ord_s3", "m_1", timedelta(days=1), (timedelta(hours=5), R.CARD_INVALID, S.REJECTED, 8_000, 0)),
    # The edge of the 7 days is in them; a second older is not.
    ("ord_s4", "m_1", timedelta(days=7), None),
    ("ord_s5", "m_1", timedelta(days=7, seconds=1), None),
    ("ord_s6", "m_1", timedelta(days=10), (timedelta(days=9), R.WRONG_ITEM, S.REFUNDING, 3_000, 0)),
    ("ord_s7", "m_1", timedelta(days=10), (timedelta(days=8), R.CARD_INVALID, S.MANUAL_REVIEW, 4_000, 0)),
    # Sold before the 30 days, claimed within them: the claim counts, the order is not sold in them.
    ("ord_s8", "m_1", timedelta(days=40), (timedelta(days=2), R.OTHER, S.REFUNDED, 2_000, 0)),
    ("ord_s9", "m_1", timedelta(days=40), (timedelta(days=31), R.CARD_INVALID, S.REFUNDED, 9_000, 0)),
    # Another merchant's sale and refund count for it, not for m_1.
    ("ord_x1", "m_2", timedelta(days=1), (timedelta(hours=1), R.CARD_INVALID, S.REFUNDED, 7_000, 0)),
]


@pytest.fixture
def sold(system: System) -> System:
    with system.ctx.uow() as uow:
        for order_id, merchant, paid_ago, claimed in SOLD:
            # Items with no key: the keys' check after each test opens every key stored.
            bare = order(paid_at=NOW - paid_ago, items=(OrderItem("oi_1", secret=None),))
            uow.orders.upsert(replace(bare, id=order_id, merchant_id=merchant))
            if claimed is not None:
                filed_ago, reason, status, refundable, fee = claimed
                filed = case(status=status, at=NOW - filed_ago, refundable=refundable, fee=fee)
                uow.cases.add(replace(filed, id=f"rc_{order_id}", order_id=order_id, reason=reason))
        uow.commit()
    return system


def test_the_figures_count_the_merchants_own_orders_and_claims_by_period(sold: System) -> None:
    ctx = replace(sold.ctx, clock=FixedClock(NOW))

    week, month = statistics(ctx, MERCHANT, NOW).periods

    assert (week.days, week.orders, week.claims, week.refunded) == (7, 4, 4, 3)
    assert week.refunded_amount == Money(10_000 + 4_500 + 2_000)
    assert week.refund_rate == Fraction(3, 4)
    assert week.top_reasons == ((R.CARD_INVALID, 2), (R.NOT_DELIVERED, 1), (R.OTHER, 1))
    assert (month.days, month.orders, month.claims, month.refunded) == (30, 7, 6, 4)
    assert month.refunded_amount == Money(10_000 + 4_500 + 3_000 + 2_000)
    assert month.refund_rate == Fraction(4, 7)
    # Three reasons of one claim each: the claim form's order picks two of them.
    assert month.top_reasons == ((R.CARD_INVALID, 3), (R.NOT_DELIVERED, 1), (R.WRONG_ITEM, 1))


def test_a_merchant_that_sold_nothing_has_no_rate_and_nothing_to_count(sold: System) -> None:
    quiet = Actor("m_quiet", Role.MERCHANT)

    periods = statistics(sold.ctx, quiet, NOW).periods

    for p in periods:
        assert (p.orders, p.claims, p.refunded, p.refunded_amount, p.top_reasons) == (0, 0, 0, Money(0), ())
        assert p.refund_rate is None


def test_the_periods_end_at_the_moment_asked(sold: System) -> None:
    later = NOW + timedelta(days=5)

    week, _ = statistics(sold.ctx, MERCHANT, later).periods

    # Five days on, the week starts when ord_s8's claim was filed: ord_s1..s3 and their claims, and it.
    assert (week.orders, week.claims, week.refunded) == (3, 4, 3)
    assert week.refund_rate == 1


def test_only_a_merchant_reads_merchant_figures(sold: System) -> None:
    for role in (Role.BUYER, Role.AGENT, Role.PLATFORM):
        with pytest.raises(Forbidden):
            statistics(sold.ctx, Actor("m_1", role), NOW)
