"""The claims on a merchant's goods as its list shows them: those waiting for its answer first, then the rest.

The cases come from ``views.list_cases``, which keeps a merchant to its own goods and reads them
as it may (the buyer a handle, the anti-fraud codes withheld); this adds what the list shows
beside each: the product's title and the time the merchant has to answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from tuika.domain.cases import Case, CaseStatus, Role
from tuika.domain.ids import CaseId
from tuika.domain.merchant import MerchantWindow, respond_by
from tuika.domain.money import Money
from tuika.services import views
from tuika.services.context import Actor, Context
from tuika.services.ports import CaseFilter

# More claims waiting for one merchant's answer at once than any shop has; the rest come by page.
WAITING_MAX: Final = 500
PAGE: Final = 50


@dataclass(frozen=True, slots=True)
class MerchantClaim:
    """One claim on the merchant's goods, as its list shows it."""

    case: Case
    title: str
    order_amount: Money
    window: MerchantWindow | None
    # When the merchant must answer by, while the claim waits for its answer; else None.
    respond_by: datetime | None


@dataclass(frozen=True, slots=True)
class MerchantClaims:
    waiting: tuple[MerchantClaim, ...]
    others: tuple[MerchantClaim, ...]
    # Where the next page of the others starts; None when this page holds the oldest.
    older: CaseId | None


def claims(ctx: Context, actor: Actor, before: CaseId | None = None, limit: int = PAGE) -> MerchantClaims:
    """Return the claims waiting for its answer, the nearest deadline first, then a page of the rest, newest first."""
    actor.require(Role.MERCHANT)
    reviewed = views.list_cases(ctx, actor, CaseFilter(statuses=(CaseStatus.MANUAL_REVIEW,), limit=WAITING_MAX))
    with ctx.read() as uow:
        windows = uow.merchant.windows([c.id for c in reviewed])
    waiting = [c for c in reviewed if respond_by(c.status, windows.get(c.id)) is not None]
    others = _others(ctx, actor, {c.id for c in waiting}, before, limit)
    shown = others[:limit]
    with ctx.read() as uow:
        windows |= uow.merchant.windows([c.id for c in shown])
        orders = {o.id: o for o in (uow.orders.get(i) for i in {c.order_id for c in (*waiting, *shown)}) if o}

    def line(case: Case) -> MerchantClaim | None:
        order, window = orders.get(case.order_id), windows.get(case.id)
        if order is None:
            return None
        return MerchantClaim(case, order.title or order.sku, order.amount, window, respond_by(case.status, window))

    first = sorted((c for c in map(line, waiting) if c is not None), key=lambda c: (c.respond_by, c.case.id))
    rest = tuple(c for c in map(line, shown) if c is not None)
    return MerchantClaims(tuple(first), rest, shown[-1].id if len(others) > limit else None)


def _others(ctx: Context, actor: Actor, waiting: set[CaseId], before: CaseId | None, limit: int) -> list[Case]:
    """Return up to ``limit + 1`` claims not waiting for an answer, newest first, older than ``before``.

    One more than the page shows tells whether an older page has anything on it.
    """
    found: list[Case] = []
    cursor = before
    while len(found) <= limit:
        batch = views.list_cases(ctx, actor, CaseFilter(after=cursor, limit=limit + 1, newest_first=True))
        found.extend(c for c in batch if c.id not in waiting)
        if len(batch) <= limit:
            break
        cursor = batch[-1].id
    return found
