"""Time values: always aware UTC; pages convert to Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Final, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _shanghai() -> tzinfo:
    try:
        return ZoneInfo("Asia/Shanghai")
    except ZoneInfoNotFoundError:
        # Slim images ship without tz data; China has kept +08:00 without daylight saving since 1991.
        return timezone(timedelta(hours=8), "Asia/Shanghai")


# Where buyers read times: screenshots show it, messages say it.
SHANGHAI: Final[tzinfo] = _shanghai()


class Clock(Protocol):
    """Something that tells the current aware UTC time."""

    def now(self) -> datetime:
        """Return the current time, aware, in UTC."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        """Return the current time, aware, in UTC."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that moves only when told to, for tests and simulations."""

    def __init__(self, at: datetime) -> None:
        require_aware(at)
        self._at = at

    def now(self) -> datetime:
        """Return the time this clock was set to."""
        return self._at

    def set(self, at: datetime) -> None:
        """Move the clock to ``at``."""
        require_aware(at)
        self._at = at


def require_aware(at: datetime) -> datetime:
    """Return ``at`` in UTC, refusing naive datetimes."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("naive datetime: every time in tuika carries a zone")
    return at.astimezone(UTC)


def beijing_day(at: datetime) -> date:
    """Return the calendar day of a moment in Beijing (China keeps +08:00 all year)."""
    return (require_aware(at) + timedelta(hours=8)).date()
