"""Finance's balances and holds in the console: every merchant's and supplier's figures, and a merchant's holds.

Read only, for admins as finance's queue is, through ``finance.balances``, the service API v1's
``/v1/ledger/balances`` reads. Merchants come by what is held now, the most first, each linking
to the open claims holding its money; suppliers by deposit, the one owing most first. Amounts
are in yuan; a person reads names and refund numbers, never an account's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Final
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from tuika.domain.balances import Balances, HeldClaim, Party
from tuika.domain.cases import Role
from tuika.domain.errors import InvalidInput, NotFound
from tuika.domain.ids import spaced_number
from tuika.services.context import Actor
from tuika.services.finance import balances
from tuika.web.console_common import named
from tuika.web.session import PageError, Staff, ctx_of, lang_of, render

router = APIRouter(include_in_schema=False)

PAGE: Final = "/console/finance/balances"
PER_PAGE: Final = 50
# Far past the last page of any marketplace's merchants; the service refuses beyond its offset.
Page = Annotated[int, Query(ge=1, le=balances.OFFSET_MAX // PER_PAGE)]


@dataclass(frozen=True, slots=True)
class Row:
    """A party as its row shows it: its figures, its name with its id beside, its page of holds."""

    balances: Balances
    shown: tuple[str, str | None]
    holds: str


@dataclass(frozen=True, slots=True)
class Pager:
    """Which rows a page shows out of how many, and where the pages beside it are."""

    first: int
    last: int
    total: int
    previous: str | None
    next: str | None


@dataclass(frozen=True, slots=True)
class Held:
    """An open claim as finance reads it: by its refund number, linking to the case."""

    claim: HeldClaim
    number: str
    stage: str


def pager(path: str, page: int, shown: int, total: int) -> Pager:
    """Return the page's place among ``total`` rows and the links to the pages before and after it.

    >>> pager("/x", 2, 50, 120)
    Pager(first=51, last=100, total=120, previous='/x?page=1', next='/x?page=3')
    """
    start = (page - 1) * PER_PAGE
    return Pager(
        first=start + 1 if shown else 0,
        last=start + shown,
        total=total,
        previous=f"{path}?page={page - 1}" if page > 1 else None,
        next=f"{path}?page={page + 1}" if start + shown < total else None,
    )


def require_finance(actor: Actor) -> None:
    """Turn away agents and arbitrators: the parties' money is finance's, and finance is an admin."""
    if actor.role is not Role.ADMIN:
        raise PageError(403, "console.balances.admins_only")


@router.get(PAGE, response_class=HTMLResponse)
def merchants_page(request: Request, staff: Staff, page: Page = 1) -> Response:
    """List every merchant's figures, the most held first, each linking to the claims holding its money."""
    return _list(request, staff, Party.MERCHANT, PAGE, page)


@router.get(PAGE + "/suppliers", response_class=HTMLResponse)
def suppliers_page(request: Request, staff: Staff, page: Page = 1) -> Response:
    """List every supplier's deposit, clawbacks and fault fees, the one owing most first."""
    return _list(request, staff, Party.SUPPLIER, PAGE + "/suppliers", page)


@router.get(PAGE + "/merchants/{merchant_id}", response_class=HTMLResponse)
def holds_page(request: Request, merchant_id: str, staff: Staff, page: Page = 1) -> Response:
    """Show one merchant's figures and its open claims on hold, the largest first, each linking to its case."""
    require_finance(staff)
    ctx, lang = ctx_of(request), lang_of(request)
    try:
        found = balances.standing(ctx, staff, f"merchant:{merchant_id}", limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    except (NotFound, InvalidInput) as exc:
        raise PageError(404, "console.holds.not_found") from exc
    holds = found.holds
    assert holds is not None, "a merchant's standing has its holds"
    if not holds.items and page > 1:
        raise PageError(404, "console.balances.no_page")
    stages = ctx.sla.stages()
    rows = [
        Held(
            h,
            spaced_number(h.number) if h.number else h.case_id,
            stages[h.status].zh if lang == "zh" else stages[h.status].en,
        )
        for h in holds.items
    ]
    return render(
        request,
        "console_holds.html",
        party=found.balances,
        shown=named(found.balances.name, found.balances.party_id),
        holds=rows,
        pages=pager(request.url.path, page, len(rows), holds.total),
        section="balances",
    )


def _list(request: Request, staff: Staff, party: Party, path: str, page: int) -> Response:
    require_finance(staff)
    found = balances.parties(ctx_of(request), staff, party.value, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    if not found.items and page > 1:
        raise PageError(404, "console.balances.no_page")
    return render(
        request,
        "console_balances.html",
        kind=party.value,
        rows=[Row(b, named(b.name, b.party_id), f"{PAGE}/merchants/{quote(b.party_id, safe='')}") for b in found.items],
        pages=pager(path, page, len(found.items), found.total),
        section="balances",
    )
