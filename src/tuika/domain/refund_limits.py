"""Limits a gateway puts on refunds, enforced before asking it, so the buyer hears why at once.

WeChat Pay refunds an order for a year after payment, at most 50 times, and refuses a second
refund of one order within a minute of the first (FREQUENCY_LIMITED). The first two decide
whether the original route is open at all; the third only makes a refund wait its turn.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from tuika.domain.errors import RefundLimitReached
from tuika.domain.payouts import Payout, PayoutRoute


@dataclass(frozen=True, slots=True)
class GatewayLimits:
    window: timedelta
    max_refunds: int
    min_gap: timedelta


LIMITS: Final[Mapping[PayoutRoute, GatewayLimits]] = {
    PayoutRoute.WECHAT: GatewayLimits(window=timedelta(days=365), max_refunds=50, min_gap=timedelta(minutes=1)),
}


def check_open(route: PayoutRoute, paid_at: datetime, now: datetime, earlier: Iterable[Payout]) -> None:
    """Raise ``RefundLimitReached`` if ``route`` can no longer refund this order."""
    limits = LIMITS.get(route)
    if limits is None:
        return
    if now - paid_at > limits.window:
        raise RefundLimitReached(f"{route.value} refunds only within {limits.window.days} days of payment")
    sent = sum(1 for p in earlier if p.route is route and p.sent_at is not None)
    if sent >= limits.max_refunds:
        raise RefundLimitReached(f"{route.value} refunds an order at most {limits.max_refunds} times")


def wait_before_sending(route: PayoutRoute, now: datetime, earlier: Iterable[Payout]) -> timedelta:
    """Return how long a refund must wait for the gateway's gap since the order's last one (zero: send now)."""
    limits = LIMITS.get(route)
    if limits is None:
        return timedelta(0)
    last = max((p.sent_at for p in earlier if p.route is route and p.sent_at is not None), default=None)
    if last is None:
        return timedelta(0)
    return max(timedelta(0), last + limits.min_gap - now)
