from datetime import UTC, datetime, timedelta, timezone

import pytest

from tuika.domain.clock import FixedClock, SystemClock, require_aware

SHANGHAI = timezone(timedelta(hours=8))


def test_require_aware_converts_to_utc() -> None:
    local = datetime(2024, 6, 1, 20, 0, tzinfo=SHANGHAI)

    result = require_aware(local)

    assert result == datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    assert result.utcoffset() == timedelta(0)


def test_require_aware_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        require_aware(datetime(2024, 6, 1, 12, 0))  # noqa: DTZ001 - the naive time is the point


def test_a_fixed_clock_moves_only_when_set() -> None:
    start = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    clock = FixedClock(start)

    assert clock.now() == start
    assert clock.now() == start
    clock.set(start + timedelta(hours=1))
    assert clock.now() == start + timedelta(hours=1)


def test_a_fixed_clock_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        FixedClock(datetime(2024, 6, 1))  # noqa: DTZ001
    clock = FixedClock(datetime(2024, 6, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="naive datetime"):
        clock.set(datetime(2024, 6, 2))  # noqa: DTZ001
    assert clock.now() == datetime(2024, 6, 1, tzinfo=UTC)


def test_the_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()

    assert now.utcoffset() == timedelta(0)
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)
