"""The statistics of refund health: sound enough that one claim on two orders delists nothing.

A refund rate of a product, a merchant or a supplier is judged by what the orders can prove,
not by its face value:

- ``wilson_lower``: the Wilson score interval's lower bound of the rate. With 1 refund in 2
  orders the rate is 50 % but the bound at 95 % is 9.5 %: the orders do not show a problem yet.
- ``binomial_tail``: how likely at least ``k`` refunds in ``n`` orders are if the true rate is
  the normal one; a small value is evidence of a problem, and ``benjamini_hochberg`` keeps the
  share of false alarms among thousands of products at ``q``.
- ``Cusum``: a Bernoulli CUSUM of one product's orders, one at a time, which rises on refunds
  and falls on orders kept, and signals a sudden jump in the rate within few orders. Its state
  is one number, so each order costs O(1).

Pure Python (``math`` only); tested against scipy and statsmodels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

# The two-sided 95 % normal quantile: the bound is the lower end of the 95 % interval.
Z95: Final = 1.959963984540054


def wilson_lower(refunds: int, orders: int, z: float = Z95) -> float:
    """Return the Wilson score interval's lower bound of ``refunds / orders``; 0 with no orders.

    >>> round(wilson_lower(1, 2), 4), round(wilson_lower(50, 100), 4), wilson_lower(0, 0)
    (0.0945, 0.4038, 0.0)
    """
    _check_counts(refunds, orders)
    if orders == 0:
        return 0.0
    p = refunds / orders
    z2 = z * z
    centre = p + z2 / (2 * orders)
    spread = z * math.sqrt(p * (1 - p) / orders + z2 / (4 * orders * orders))
    return max(0.0, (centre - spread) / (1 + z2 / orders))


def binomial_tail(refunds: int, orders: int, normal_rate: float) -> float:
    """Return P(X ≥ refunds) for X ~ Binomial(orders, normal_rate): the one-sided p-value of a high rate.

    >>> round(binomial_tail(3, 10, 0.1), 6)
    0.070191
    """
    _check_counts(refunds, orders)
    if not 0.0 < normal_rate < 1.0:
        raise ValueError("normal_rate must be between 0 and 1, both excluded")
    if refunds == 0:
        return 1.0
    log_p, log_q = math.log(normal_rate), math.log1p(-normal_rate)
    # Summed from the largest term down in log space: no overflow however many orders.
    logs = [_log_choose(orders, k) + k * log_p + (orders - k) * log_q for k in range(refunds, orders + 1)]
    top = max(logs)
    return min(1.0, math.exp(top) * math.fsum(math.exp(v - top) for v in logs))


def benjamini_hochberg(p_values: Sequence[float], q: float = 0.05) -> list[bool]:
    """Return which hypotheses to reject so that the expected share of false alarms is at most ``q``.

    >>> benjamini_hochberg([0.001, 0.04, 0.03, 0.5], q=0.05)
    [True, False, False, False]
    """
    if not 0.0 < q < 1.0:
        raise ValueError("q must be between 0 and 1, both excluded")
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    cut = -1
    for rank, index in enumerate(order, start=1):
        if p_values[index] <= q * rank / m:
            cut = rank
    chosen = set(order[:cut]) if cut > 0 else set()
    return [i in chosen for i in range(m)]


@dataclass(frozen=True, slots=True)
class Cusum:
    """A Bernoulli CUSUM: evidence that the refund rate moved from ``normal`` to ``alarm``.

    Each order adds the log-likelihood ratio of its outcome (a refund: ln(p1/p0); kept:
    ln((1−p1)/(1−p0)), negative) and the sum never goes below zero; it signals at ``limit``.
    """

    normal: float
    alarm: float
    limit: float
    score: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 < self.normal < self.alarm < 1.0:
            raise ValueError("need 0 < normal < alarm < 1")
        if self.limit <= 0:
            raise ValueError("limit must be above 0")

    def after(self, refunded: bool) -> Cusum:
        """Return the CUSUM after one more order, refunded or not.

        >>> c = Cusum(0.02, 0.10, 3.0)
        >>> round(c.after(True).score, 4), c.after(False).score
        (1.6094, 0.0)
        """
        up, kept = math.log(self.alarm / self.normal), math.log((1 - self.alarm) / (1 - self.normal))
        return replace(self, score=max(0.0, self.score + (up if refunded else kept)))

    @property
    def signalled(self) -> bool:
        return self.score >= self.limit


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def _check_counts(refunds: int, orders: int) -> None:
    if refunds < 0 or orders < 0 or refunds > orders:
        raise ValueError("need 0 ≤ refunds ≤ orders")
