"""The buyer's balance: what it holds, what a refund to it is, and every movement, newest first."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tuika.services import views
from tuika.web.session import Buyer, ctx_of, render

router = APIRouter(include_in_schema=False)

MOVEMENTS: Final = 200


@router.get("/balance", response_class=HTMLResponse)
def balance_page(request: Request, buyer: Buyer) -> Response:
    """Show the buyer's platform balance, what a balance refund is, and its movements by product."""
    view = views.balance(ctx_of(request), buyer, limit=MOVEMENTS)
    return render(request, "balance.html", balance_fen=view.balance.fen, rows=view.movements)
