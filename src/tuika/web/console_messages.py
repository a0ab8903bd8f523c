"""The console's bell: a staff member's queue messages and their cases about to pass their time limit.

Opening the page is reading the bell: everything it shows is then seen, and the badge in the
header clears. The cases due soon are read from the cases each time, so they are true now.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from tuika.services.notify import bell, inbox
from tuika.web.session import Staff, ctx_of, render

router = APIRouter(include_in_schema=False)

PAGE: Final = 30


@router.get("/console/messages", response_class=HTMLResponse)
def bell_page(
    request: Request,
    staff: Staff,
    before: Annotated[str | None, Query(max_length=28, pattern=r"^[0-9A-HJKMNP-TV-Z]{26}[0-9]{2}$")] = None,
) -> Response:
    """Show the queues' messages, newest first, the cases due soon and how many are late; mark them seen."""
    ctx = ctx_of(request)
    found = bell.bell(ctx, staff)
    page = inbox.inbox(ctx, staff, before=before, limit=PAGE)
    if before is None and page.items:
        inbox.mark_read(ctx, staff, page.items[0].id)
    return render(
        request,
        "console_messages.html",
        items=page.items,
        next_before=page.next_before,
        due_soon=found.due_soon,
        overdue=found.overdue,
        minutes=int(bell.DUE_SOON.total_seconds() // 60),
    )
