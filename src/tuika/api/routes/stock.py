"""API v1: the keys a merchant keeps to replace dead ones of its products (its replacement stock)."""

from __future__ import annotations

from fastapi import APIRouter

from tuika.api import merchant_schemas as m
from tuika.api.contract import answers
from tuika.domain.errors import Forbidden, InvalidInput, ReplacementKeyInUse
from tuika.http.deps import Caller, Ctx
from tuika.services.orders import stock

router = APIRouter(tags=["merchant"])


@router.post(
    "/v1/merchant/replacement-stock",
    response_model=m.StockAddedOut,
    status_code=201,
    responses=answers(Forbidden, InvalidInput, ReplacementKeyInUse),
)
def add_stock(body: m.StockIn, ctx: Ctx, caller: Caller) -> m.StockAddedOut:
    """Keep replacement keys for one of the merchant's products (all or none).

    Where the policy says so, a claim on that product the machine approves is offered one of
    them first; the buyer may still take the refund. A key already sold on an order, or kept
    in any stock, is ``409 replacement_key_in_use`` and nothing is kept.
    """
    added = stock.add_stock(ctx, caller, body.sku, tuple(body.card_keys))
    return m.StockAddedOut(sku=added.sku, added=added.added, available=added.available)


@router.get("/v1/merchant/replacement-stock", response_model=m.StockOut, responses=answers(Forbidden))
def stock_counts(ctx: Ctx, caller: Caller) -> m.StockOut:
    """Return how many replacement keys the merchant keeps free for each product (never the keys)."""
    counts = stock.counts(ctx, caller)
    return m.StockOut(items=[m.StockCountOut(sku=sku, available=n) for sku, n in counts.items()])
