"""The buyer's balance: what it holds and every movement, newest first."""

from __future__ import annotations

import re
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tuika.domain.ledger import buyer_account
from tuika.services import views
from tuika.web.session import Buyer, ctx_of, render

router = APIRouter(include_in_schema=False)

# Ledger memos are written once, in Chinese, by the payout service ("退款 rc_… 订单 ord_…",
# "追偿 rc_…"); the page names the case they came from in the viewer's language instead.
_CASE: Final = re.compile(r"\brc_[0-9a-z_]+\b")
MOVEMENTS: Final = 200


@router.get("/balance", response_class=HTMLResponse)
def balance_page(request: Request, buyer: Buyer) -> Response:
    """Show the buyer's platform balance and its movements."""
    view = views.account(ctx_of(request), buyer, buyer_account(buyer.subject), limit=MOVEMENTS)
    rows = [
        {"at": at, "fen": entry.amount.fen, "case": (found.group(0) if (found := _CASE.search(memo)) else None)}
        for at, memo, entry in view.entries
    ]
    return render(request, "balance.html", balance_fen=view.balance.fen, rows=rows)
