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
from tuika.domain.merchant import MerchantWindow
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
    recent = views.list_cases(ctx, actor, CaseFilter(after=before, limit=limit, newest_first=True))
    with ctx.read() as uow:
        windows = uow.merchant.windows([c.id for c in (*reviewed, *recent)])
        orders = {o.id: o for o in (uow.orders.get(i) for i in {c.order_id for c in (*reviewed, *recent)}) if o}
    listed = {}
    for case in (*reviewed, *recent):
        order = orders.get(case.order_id)
        if order is not None:
            window = windows.get(case.id)
            due = _respond_by(case, window)
            listed[case.id] = MerchantClaim(case, order.title or order.sku, order.amount, window, due)
    waiting = sorted((c for c in listed.values() if c.respond_by is not None), key=lambda c: (c.respond_by, c.case.id))
    # A claim read as waiting that was answered a moment later is listed once, with the rest.
    others = [listed[c.id] for c in recent if c.id in listed and listed[c.id].respond_by is None]
    return MerchantClaims(tuple(waiting), tuple(others), recent[-1].id if len(recent) == limit else None)


def _respond_by(case: Case, window: MerchantWindow | None) -> datetime | None:
    """Return the merchant's deadline while the claim waits for its answer: in review, its window open.

    A deadline just past still shows until the sweep takes the silence as consent, so the list
    never drops a claim the merchant is watching before it has moved on.
    """
    if case.status is not CaseStatus.MANUAL_REVIEW or window is None or not window.open:
        return None
    return window.respond_by
