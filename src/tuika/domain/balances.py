"""What a merchant or a supplier stands at in the ledger: its deposit, what claims hold, what was taken.

Every figure is derived from the ledger's entries (``domain.ledger``); none is stored. A
merchant has a settlement account, a holds account and a deposit; a supplier a deposit only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from tuika.domain.cases import CaseStatus
from tuika.domain.errors import InvalidInput
from tuika.domain.ids import CaseId
from tuika.domain.money import Money

# What a host platform calls a merchant or a supplier, as a deposit is funded for it.
PARTY_ID: Final = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")


class Party(StrEnum):
    MERCHANT = "merchant"
    SUPPLIER = "supplier"


def party_of(name: str) -> tuple[Party, str]:
    """Return the party a name such as ``merchant:m_1`` names, as the ledger's accounts name it.

    >>> party_of("supplier:s_1:east")
    (<Party.SUPPLIER: 'supplier'>, 's_1:east')
    """
    head, _, party_id = name.partition(":")
    if head not in tuple(Party) or not PARTY_ID.match(party_id):
        raise InvalidInput(f"{name[:80]!r} is not merchant:<id> or supplier:<id> (1 to 64 letters, digits or _ . : -)")
    return Party(head), party_id


@dataclass(frozen=True, slots=True)
class Balances:
    """One party's figures, in fen as the ledger sums them.

    ``recovered`` is what refunds on its fault took from it: a supplier's clawbacks from its
    deposit; a merchant's from what was held for the claim, or from its deposit when nothing
    was. ``fault_fees`` are the handling fees its deposit paid on top. A deposit below zero is
    what the party owes the platform.
    """

    party: Party
    party_id: str
    # As the host platform names it on its newest order that names it; "" when none does.
    name: str
    deposit: Money
    paid_in: Money
    recovered: Money
    fault_fees: Money
    # A merchant's settlement account (what claims took off what it is to be settled) and
    # what is held there now, over how many open claims; a supplier has none of them.
    settlement: Money | None = None
    held: Money | None = None
    open_holds: int | None = None

    @property
    def owes(self) -> bool:
        """Tell whether the deposit is below zero: the party owes what was recovered beyond it."""
        return self.deposit.fen < 0


def nothing(party: Party, party_id: str) -> Balances:
    """Return the figures of a party the ledger has never named: all zero."""
    zero = Money.zero()
    if party is Party.SUPPLIER:
        return Balances(party, party_id, "", zero, zero, zero, zero)
    return Balances(party, party_id, "", zero, zero, zero, zero, zero, zero, 0)


@dataclass(frozen=True, slots=True)
class HeldClaim:
    """An open claim holding its amount from its merchant's settlement."""

    case_id: CaseId
    # The refund number people quote; None for a claim filed before numbers were given.
    number: str | None
    status: CaseStatus
    order_title: str
    amount: Money
    held_at: datetime


@dataclass(frozen=True, slots=True)
class BalancePage:
    """One page of the parties of one kind, and how many there are in all."""

    items: tuple[Balances, ...]
    total: int
    offset: int

    @property
    def next_offset(self) -> int | None:
        """Return where the next page starts, or None on the last one."""
        return next_offset(self.offset, len(self.items), self.total)


@dataclass(frozen=True, slots=True)
class HoldPage:
    """One page of a merchant's open holds, the largest first, and how many are open."""

    items: tuple[HeldClaim, ...]
    total: int
    offset: int

    @property
    def next_offset(self) -> int | None:
        """Return where the next page starts, or None on the last one."""
        return next_offset(self.offset, len(self.items), self.total)


def next_offset(offset: int, shown: int, total: int) -> int | None:
    """Return where the page after one of ``shown`` items from ``offset`` starts; None when none is left.

    >>> next_offset(0, 50, 120), next_offset(100, 20, 120), next_offset(200, 0, 120)
    (50, None, None)
    """
    end = offset + shown
    return end if shown and end < total else None
