import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuika.domain.money import Money, split_evenly


def test_addition_subtraction_and_negation_work_in_fen() -> None:
    assert Money(1999) + Money(1) == Money(2000)
    assert Money(500) - Money(750) == Money(-250)
    assert -Money(300) == Money(-300)
    assert Money.zero() == Money(0)


def test_only_zero_is_falsy() -> None:
    assert not Money(0)
    assert Money(1)
    assert Money(-1)


def test_amounts_order_by_fen() -> None:
    assert Money(1) < Money(2)
    assert max(Money(5), Money(-3), Money(4)) == Money(5)
    assert sorted([Money(3), Money(-1), Money(2)]) == [Money(-1), Money(2), Money(3)]


@pytest.mark.parametrize("bad", [1.0, 19.99, True, False, "100", None])
def test_refuses_anything_but_an_int(bad: object) -> None:
    with pytest.raises(TypeError, match="integer number of fen"):
        Money(bad)  # type: ignore[arg-type]


def test_is_immutable() -> None:
    m = Money(1)
    with pytest.raises(AttributeError):
        m.fen = 2  # type: ignore[misc]


@pytest.mark.parametrize(
    ("fen", "bp", "expected"),
    [
        (10_000, 60, 60),  # 0.6 % of 100 yuan
        (1_000, 60, 6),
        (83, 60, 0),  # 0.498 → 0
        (84, 60, 1),  # 0.504 → 1
        (250, 20, 1),  # 0.5 exactly rounds up
        (249, 20, 0),  # 0.498 → 0
        (150, 100, 2),  # 1.5 → 2
        (12_345, 10_000, 12_345),
        (12_345, 0, 0),
        (0, 60, 0),
    ],
)
def test_percent_bp_rounds_half_up_to_the_fen(fen: int, bp: int, expected: int) -> None:
    assert Money(fen).percent_bp(bp) == Money(expected)


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10_000))
def test_percent_bp_is_within_half_a_fen_of_the_exact_value(fen: int, bp: int) -> None:
    result = Money(fen).percent_bp(bp).fen
    exact_times_2 = 2 * fen * bp  # 2 × 10000 × exact value, to stay in integers
    assert 2 * 10_000 * result - exact_times_2 <= 10_000
    assert exact_times_2 - 2 * 10_000 * result < 10_000
    assert 0 <= result <= fen


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (0, "0.00"),
        (1, "0.01"),
        (10, "0.10"),
        (1999, "19.99"),
        (100, "1.00"),
        (123_456_789, "1234567.89"),
        (-1, "-0.01"),
        (-99, "-0.99"),
        (-100, "-1.00"),
        (-1999, "-19.99"),
    ],
)
def test_yuan_formats_two_decimals_with_a_sign(fen: int, text: str) -> None:
    assert Money(fen).yuan() == text


def test_split_evenly_gives_the_remainder_to_the_first_parts() -> None:
    assert split_evenly(Money(1000), 3) == [Money(334), Money(333), Money(333)]
    assert split_evenly(Money(1001), 3) == [Money(334), Money(334), Money(333)]
    assert split_evenly(Money(2), 4) == [Money(1), Money(1), Money(0), Money(0)]
    assert split_evenly(Money(0), 2) == [Money(0), Money(0)]
    assert split_evenly(Money(7), 1) == [Money(7)]


@pytest.mark.parametrize("parts", [0, -1])
def test_split_evenly_needs_a_positive_count(parts: int) -> None:
    with pytest.raises(ValueError, match="parts must be positive"):
        split_evenly(Money(100), parts)


@given(st.integers(min_value=-(10**9), max_value=10**9), st.integers(min_value=1, max_value=200))
def test_split_evenly_adds_up_exactly_and_differs_by_at_most_a_fen(fen: int, parts: int) -> None:
    shares = split_evenly(Money(fen), parts)
    assert len(shares) == parts
    assert sum(s.fen for s in shares) == fen
    assert max(shares).fen - min(shares).fen <= 1
    assert shares == sorted(shares, reverse=True)
