"""Money as an integer count of fen (分)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True, slots=True)
class Money:
    """An amount in fen; never a float.

    >>> Money(1999) + Money(1)
    Money(fen=2000)
    """

    fen: int

    def __post_init__(self) -> None:
        if not isinstance(self.fen, int) or isinstance(self.fen, bool):
            raise TypeError("Money needs an integer number of fen")

    @classmethod
    def zero(cls) -> Money:
        """Return zero fen."""
        return cls(0)

    def __add__(self, other: Money) -> Money:
        return Money(self.fen + other.fen)

    def __sub__(self, other: Money) -> Money:
        return Money(self.fen - other.fen)

    def __neg__(self) -> Money:
        return Money(-self.fen)

    def __bool__(self) -> bool:
        return self.fen != 0

    def percent_bp(self, basis_points: int) -> Money:
        """Return basis_points/10000 of this amount, rounded half up to the fen."""
        return Money((self.fen * basis_points + 5000) // 10000)

    def yuan(self) -> str:
        """Format as yuan with two decimals, e.g. ``19.99``."""
        sign = "-" if self.fen < 0 else ""
        whole, part = divmod(abs(self.fen), 100)
        return f"{sign}{whole}.{part:02d}"


def split_evenly(total: Money, parts: int) -> list[Money]:
    """Split ``total`` into ``parts`` amounts that add up exactly; earlier parts take the rest."""
    if parts <= 0:
        raise ValueError("parts must be positive")
    base, rest = divmod(total.fen, parts)
    return [Money(base + (1 if i < rest else 0)) for i in range(parts)]
