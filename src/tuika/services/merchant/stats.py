"""A merchant's refund figures at a glance: over the last 7 and 30 days, what it sold and what came back.

Read only, and only the signed-in merchant's own: the orders it sold, the claims filed on them,
the claims refunded (or approved and on their way back), the refund rate and the amount, and
the reasons buyers gave most.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Final

from tuika.domain.cases import CaseStatus, Role
from tuika.domain.money import Money
from tuika.domain.policy import Reason
from tuika.services.context import Actor, Context
from tuika.services.ports import ClaimTally

PERIODS: Final = (7, 30)
TOP: Final = 3
# A claim counts as refunded once approved: the money is then on its way back and no one stops it.
REFUNDED: Final = frozenset({CaseStatus.APPROVED, CaseStatus.REFUNDING, CaseStatus.REFUNDED})


@dataclass(frozen=True, slots=True)
class PeriodStats:
    """One period's figures: ``days`` up to the moment they were read."""

    days: int
    orders: int
    claims: int
    refunded: int
    refunded_amount: Money
    # The reasons given most, with how many claims gave each, the most first.
    top_reasons: tuple[tuple[Reason, int], ...]

    @property
    def refund_rate(self) -> Fraction | None:
        """Return the claims refunded per order sold; None when nothing was sold.

        >>> PeriodStats(7, 40, 3, 2, Money(2000), ()).refund_rate
        Fraction(1, 20)
        >>> PeriodStats(7, 0, 1, 1, Money(100), ()).refund_rate is None
        True
        """
        return Fraction(self.refunded, self.orders) if self.orders else None


@dataclass(frozen=True, slots=True)
class MerchantStats:
    at: datetime
    periods: tuple[PeriodStats, ...]


def statistics(ctx: Context, actor: Actor, now: datetime) -> MerchantStats:
    """Return the signed-in merchant's figures for the last 7 and the last 30 days up to ``now``."""
    actor.require(Role.MERCHANT)
    with ctx.read() as uow:
        read = [
            (
                days,
                uow.merchant_stats.orders_sold(actor.subject, now - timedelta(days=days), now),
                uow.merchant_stats.claim_tallies(actor.subject, now - timedelta(days=days), now),
            )
            for days in PERIODS
        ]
    return MerchantStats(now, tuple(period(days, orders, tallies) for days, orders, tallies in read))


def period(days: int, orders: int, tallies: list[ClaimTally]) -> PeriodStats:
    """Return one period's figures from its orders sold and its claims counted by reason and status."""
    refunded = [t for t in tallies if t.status in REFUNDED]
    reasons: Counter[Reason] = Counter()
    for t in tallies:
        reasons[t.reason] += t.claims
    # The most claims first; between equals, the order the claim form lists the reasons in.
    ranked = sorted(reasons.items(), key=lambda pair: (-pair[1], list(Reason).index(pair[0])))
    return PeriodStats(
        days=days,
        orders=orders,
        claims=sum(t.claims for t in tallies),
        refunded=sum(t.claims for t in refunded),
        refunded_amount=sum((t.payout for t in refunded), Money.zero()),
        top_reasons=tuple(ranked[:TOP]),
    )
