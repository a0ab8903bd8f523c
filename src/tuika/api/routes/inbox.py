"""The in-site inbox: what a buyer or a merchant has been told, and marking it read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tuika.api import inbox_schemas as i
from tuika.api import present
from tuika.api.contract import answers
from tuika.domain.errors import Forbidden, NotFound
from tuika.http.deps import Caller, Ctx
from tuika.services.notify import inbox

router = APIRouter(prefix="/v1/inbox", tags=["inbox"])

# A message id: its event's ULID (26 characters of Crockford's base 32) and two digits.
_MESSAGE_ID = r"^[0-9A-HJKMNP-TV-Z]{26}[0-9]{2}$"


@router.get("", response_model=i.InboxPage, responses=answers(Forbidden))
def list_inbox(
    ctx: Ctx,
    caller: Caller,
    before: Annotated[
        str | None,
        Query(min_length=28, max_length=28, pattern=_MESSAGE_ID, description="a message id"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    case_id: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")] = None,
) -> i.InboxPage:
    """Return the caller's messages, newest first, and how many are unread (buyers and merchants)."""
    page = inbox.inbox(ctx, caller, before=before, limit=limit, case_id=case_id)
    return i.InboxPage(items=[present.message(m) for m in page.items], next_before=page.next_before, unread=page.unread)


@router.post("/read-all", response_model=i.Marked, responses=answers(Forbidden))
def read_all(ctx: Ctx, caller: Caller) -> i.Marked:
    """Mark every message of the caller read."""
    return i.Marked(marked=inbox.mark_all_read(ctx, caller))


@router.post("/{message_id}/read", response_model=i.MessageOut, responses=answers(Forbidden, NotFound))
def read_one(message_id: str, ctx: Ctx, caller: Caller) -> i.MessageOut:
    """Mark one of the caller's messages read; another person's, or no message, is not found."""
    return present.message(inbox.mark_read(ctx, caller, message_id))
