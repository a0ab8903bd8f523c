"""The buyer's 消息 page: what tuika has told them of their claims, newest first, and marking it read."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tuika.services.notify import inbox
from tuika.web.session import Buyer, CsrfChecked, ctx_of, render

router = APIRouter(include_in_schema=False)

PAGE: Final = 30


@router.get("/messages", response_class=HTMLResponse)
def messages_page(
    request: Request,
    buyer: Buyer,
    before: Annotated[str | None, Query(max_length=28, pattern=r"^[0-9A-HJKMNP-TV-Z]{26}[0-9]{2}$")] = None,
    case_id: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")] = None,
) -> Response:
    """Show the buyer's messages (or one claim's), newest first, the unread ones marked."""
    page = inbox.inbox(ctx_of(request), buyer, before=before, limit=PAGE, case_id=case_id)
    return render(
        request,
        "messages.html",
        items=page.items,
        next_before=page.next_before,
        unread_here=page.unread,
        one_case=case_id,
    )


@router.post("/messages/read-all")
def read_all(request: Request, buyer: Buyer, _: CsrfChecked) -> Response:
    """Mark every message read, then show the page again."""
    inbox.mark_all_read(ctx_of(request), buyer)
    return RedirectResponse("/messages", status_code=303)
