"""Balances and holds per merchant and supplier: finance reads every party's, a merchant its own.

Read only, from the ledger (``adapters/db/balances``): a merchant's settlement account, what
claims hold from it now and over how many claims, its deposit, what was paid into it, what
refunds on its fault recovered and the fault fees it paid; a supplier's deposit (below zero, it
owes), its clawbacks and fault fees. Finance, an admin as on its queue, lists either kind a
page at a time and opens any party with the claims holding its money; a merchant opens only
itself, and any other party is not found for it, as another's ledger account is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tuika.domain.balances import BalancePage, Balances, HoldPage, Party, nothing, party_of
from tuika.domain.cases import Role
from tuika.domain.errors import Forbidden, InvalidInput, NotFound
from tuika.services.context import Actor, Context

PAGE: Final = 50
PAGE_MAX: Final = 200
# Far beyond the parties a marketplace has; a larger offset is a mistake, not a page.
OFFSET_MAX: Final = 1_000_000


@dataclass(frozen=True, slots=True)
class Standing:
    """One party's figures and, for a merchant, a page of the claims holding its money now."""

    balances: Balances
    holds: HoldPage | None


def parties(ctx: Context, actor: Actor, party: str, *, limit: int = PAGE, offset: int = 0) -> BalancePage:
    """Return a page of every merchant's or supplier's figures: merchants holding most first, suppliers owing most."""
    actor.require(Role.ADMIN)
    if party not in tuple(Party):
        raise InvalidInput(f"party must be merchant or supplier, not {party[:40]!r}")
    _check_page(limit, offset)
    with ctx.read() as uow:
        return uow.balances.page(Party(party), limit, offset)


def standing(ctx: Context, actor: Actor, name: str, *, limit: int = PAGE, offset: int = 0) -> Standing:
    """Return ``merchant:<id>``'s figures with a page of its open holds, or ``supplier:<id>``'s figures.

    A party the ledger has never named is not found, but for a merchant reading itself: it
    has nothing held and nothing taken, and is told so.
    """
    if actor.role not in (Role.ADMIN, Role.MERCHANT):
        raise Forbidden("only finance or the merchant itself may read a party's balances")
    party, party_id = party_of(name)
    itself = actor.role is Role.MERCHANT
    if itself and (party is not Party.MERCHANT or party_id != actor.subject):
        raise NotFound(f"{name} not found")
    _check_page(limit, offset)
    with ctx.read() as uow:
        found = uow.balances.one(party, party_id)
        holds = uow.balances.holds(party_id, limit, offset) if party is Party.MERCHANT else None
    if found is None:
        if not itself:
            raise NotFound(f"the ledger names no {party.value} {party_id}")
        found = nothing(party, party_id)
    return Standing(found, holds)


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= PAGE_MAX:
        raise InvalidInput(f"limit must be 1 to {PAGE_MAX}")
    if not 0 <= offset <= OFFSET_MAX:
        raise InvalidInput(f"offset must be 0 to {OFFSET_MAX}")
