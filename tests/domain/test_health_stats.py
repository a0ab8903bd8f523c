"""The refund-health formulas, written in pure Python, agree with scipy and statsmodels."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from tuika.domain.health_stats import Cusum, benjamini_hochberg, binomial_tail, wilson_lower

counts = st.integers(min_value=1, max_value=5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@settings(max_examples=300)
@given(counts)
def test_the_wilson_bound_is_statsmodels_wilson_interval(case: tuple[int, int]) -> None:
    refunds, orders = case
    low, _ = proportion_confint(refunds, orders, alpha=0.05, method="wilson")

    assert wilson_lower(refunds, orders) == pytest.approx(max(0.0, low), abs=1e-12)


def test_one_claim_on_two_orders_proves_little_and_fifty_on_a_hundred_a_lot() -> None:
    assert wilson_lower(1, 2) < 0.10
    assert wilson_lower(50, 100) > 0.40
    assert wilson_lower(0, 0) == 0.0


@settings(max_examples=200)
@given(counts, st.floats(min_value=0.001, max_value=0.5))
def test_the_binomial_tail_is_scipys_survival_function(case: tuple[int, int], rate: float) -> None:
    refunds, orders = case
    expected = 1.0 if refunds == 0 else float(stats.binom.sf(refunds - 1, orders, rate))

    assert binomial_tail(refunds, orders, rate) == pytest.approx(expected, rel=1e-9, abs=1e-300)


@settings(max_examples=200)
@given(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=400), st.sampled_from([0.01, 0.05, 0.1]))
def test_benjamini_hochberg_rejects_what_statsmodels_rejects(p_values: list[float], q: float) -> None:
    expected, *_ = multipletests(p_values, alpha=q, method="fdr_bh")

    assert benjamini_hochberg(p_values, q) == [bool(x) for x in expected]


def test_the_cusum_climbs_on_refunds_rests_at_zero_and_signals_a_jump() -> None:
    c = Cusum(normal=0.02, alarm=0.10, limit=3.0)
    up, kept = math.log(0.10 / 0.02), math.log(0.90 / 0.98)

    assert c.after(False).score == 0.0  # never below zero
    assert c.after(True).score == pytest.approx(up)
    assert c.after(True).after(False).score == pytest.approx(up + kept)
    assert not c.after(True).signalled  # one refund: 1.61 < 3
    assert c.after(True).after(True).signalled  # two in a row: 3.22 ≥ 3
    assert not Cusum(0.02, 0.10, 3.3).after(True).after(True).signalled


def test_at_the_normal_rate_the_cusum_seldom_signals_and_at_the_alarm_rate_it_soon_does() -> None:
    import random

    rng = random.Random(11)

    def orders_to_signal(rate: float, cap: int = 20_000) -> int:
        c = Cusum(normal=0.02, alarm=0.08, limit=4.0)
        for n in range(1, cap + 1):
            c = c.after(rng.random() < rate)
            if c.signalled:
                return n
        return cap

    normal = sorted(orders_to_signal(0.02) for _ in range(40))
    jumped = sorted(orders_to_signal(0.08) for _ in range(40))
    assert normal[len(normal) // 2] > 10 * jumped[len(jumped) // 2]


@pytest.mark.parametrize(
    ("call", "args"),
    [
        (wilson_lower, (3, 2)),
        (wilson_lower, (-1, 2)),
        (binomial_tail, (1, 2, 0.0)),
        (binomial_tail, (1, 2, 1.0)),
        (benjamini_hochberg, ([0.1], 0.0)),
        (Cusum, (0.1, 0.05, 3.0)),
        (Cusum, (0.02, 0.1, 0.0)),
    ],
)
def test_nonsense_is_refused(call: object, args: tuple[object, ...]) -> None:
    with pytest.raises(ValueError, match=r"need|must"):
        call(*args)  # type: ignore[operator]
