"""The outbox as ops see it: events, the deliveries that failed, and a way to drive one again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tuika.api import ops_schemas as o
from tuika.api import present
from tuika.api.contract import answers
from tuika.domain.errors import Forbidden, NotFound
from tuika.domain.events import EventType
from tuika.domain.ids import EventId
from tuika.http.deps import Caller, Ctx
from tuika.services.events import admin

router = APIRouter(prefix="/v1/admin/events", tags=["events"])


@router.get("", response_model=o.DomainEventPage, responses=answers(Forbidden))
def list_events(
    ctx: Ctx,
    caller: Caller,
    type: Annotated[EventType | None, Query(description="e.g. case.submitted")] = None,
    subject: Annotated[str | None, Query(max_length=64, description="a case, payout or order id")] = None,
    after: Annotated[str | None, Query(max_length=26)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    failed: Annotated[bool, Query(description="only events with a delivery that gave up")] = False,
) -> o.DomainEventPage:
    """Return events oldest first, with each handler's delivery (admin only)."""
    page = admin.list_events(ctx, caller, type_=type, subject=subject, after=after, limit=limit, failed_only=failed)
    return o.DomainEventPage(
        items=[present.domain_event(found) for found in page.events],
        next_after=page.next_after,
        deliveries={status.value: n for status, n in page.counts.items()},
    )


@router.get("/{event_id}", response_model=o.DomainEventOut, responses=answers(Forbidden, NotFound))
def get_event(event_id: EventId, ctx: Ctx, caller: Caller) -> o.DomainEventOut:
    """Return one event and its deliveries (admin only)."""
    return present.domain_event(admin.get_event(ctx, caller, event_id))


@router.post("/{event_id}/retry", response_model=o.DomainEventOut, responses=answers(Forbidden, NotFound))
def retry_event(event_id: EventId, ctx: Ctx, caller: Caller) -> o.DomainEventOut:
    """Drive the event's unfinished deliveries again now; a failed one starts its count again (admin only)."""
    return present.domain_event(admin.retry(ctx, caller, event_id))
