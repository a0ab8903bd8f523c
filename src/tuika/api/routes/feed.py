"""The event feed: every event in order, for a host platform that polls rather than takes webhooks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tuika.api import feed_schemas as f
from tuika.api import present
from tuika.api.contract import answers
from tuika.domain.errors import Forbidden
from tuika.domain.events import EventType
from tuika.http.deps import Caller, Ctx
from tuika.services.events import feed

router = APIRouter(prefix="/v1/events", tags=["events"])


@router.get("", response_model=f.FeedPage, responses=answers(Forbidden))
def list_feed(
    ctx: Ctx,
    caller: Caller,
    after: Annotated[
        str | None,
        Query(min_length=26, max_length=26, pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$", description="the last event id read"),
    ] = None,
    types: Annotated[list[EventType] | None, Query(description="e.g. case.decided; repeat for several")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> f.FeedPage:
    """Return settled events after ``after``, oldest first (the host platform and admins).

    Only events a few seconds old are served (``TUIKA_EVENTS_FEED_SETTLE_S``): by then every
    earlier one has committed, so a cursor never passes an event. Reason codes are as buyers read them.
    """
    page = feed.feed(ctx, caller, after=after, types=tuple(types or ()), limit=limit)
    return f.FeedPage(items=[present.feed_event(e) for e in page.events], next_after=page.next_after)
