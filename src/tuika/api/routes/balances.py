"""Balances and holds per merchant and supplier: finance's list, and one party with the claims holding its money."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tuika.api import ops_schemas as o
from tuika.api.contract import answers
from tuika.domain.balances import Balances, Party
from tuika.domain.errors import Forbidden, InvalidInput
from tuika.http.deps import Caller, Ctx
from tuika.services.finance import balances

router = APIRouter(tags=["ledger"])

Limit = Annotated[int, Query(ge=1, le=balances.PAGE_MAX)]
Offset = Annotated[int, Query(ge=0, le=balances.OFFSET_MAX)]


@router.get("/v1/ledger/balances", response_model=o.BalancesPage, responses=answers(Forbidden, InvalidInput))
def list_balances(
    ctx: Ctx,
    caller: Caller,
    party: Annotated[Party, Query(description="merchant: the most held first; supplier: the one owing most first")],
    limit: Limit = balances.PAGE,
    offset: Offset = 0,
) -> o.BalancesPage:
    """List every merchant's or supplier's balances a page at a time (finance: an admin)."""
    page = balances.parties(ctx, caller, party.value, limit=limit, offset=offset)
    return o.BalancesPage(
        party=party.value, items=[_out(b) for b in page.items], total=page.total, next_offset=page.next_offset
    )


@router.get("/v1/ledger/balances/{party}", response_model=o.StandingOut, responses=answers(Forbidden, InvalidInput))
def party_balances(
    party: str, ctx: Ctx, caller: Caller, limit: Limit = balances.PAGE, offset: Offset = 0
) -> o.StandingOut:
    """Return ``merchant:<id>`` or ``supplier:<id>``: its balances and a merchant's open holds, the largest first.

    Finance reads any party the ledger names; a merchant reads only itself. ``limit`` and
    ``offset`` page the holds.
    """
    found = balances.standing(ctx, caller, party, limit=limit, offset=offset)
    holds = found.holds
    held = () if holds is None else holds.items
    return o.StandingOut(
        **_out(found.balances).model_dump(),
        holds=[
            o.HeldOut(
                case_id=h.case_id,
                number=h.number,
                status=h.status.value,
                order_title=h.order_title,
                amount_fen=h.amount.fen,
                held_at=h.held_at,
            )
            for h in held
        ],
        holds_next_offset=None if holds is None else holds.next_offset,
    )


def _out(b: Balances) -> o.BalancesOut:
    return o.BalancesOut(
        party=b.party.value,
        party_id=b.party_id,
        name=b.name,
        deposit_fen=b.deposit.fen,
        paid_in_fen=b.paid_in.fen,
        recovered_fen=b.recovered.fen,
        fault_fees_fen=b.fault_fees.fen,
        settlement_fen=None if b.settlement is None else b.settlement.fen,
        held_fen=None if b.held is None else b.held.fen,
        open_holds=b.open_holds,
    )
