"""What ops do with the outbox: read the events, see what failed, drive a delivery again."""

from __future__ import annotations

from dataclasses import dataclass

from tuika.domain.cases import Role
from tuika.domain.errors import NotFound
from tuika.domain.events import Delivery, DeliveryStatus, Event, EventType
from tuika.domain.ids import EventId
from tuika.services.context import Actor, Context


@dataclass(frozen=True, slots=True)
class EventPage:
    """Events with their deliveries, oldest first; ``next_after`` continues the list."""

    events: list[tuple[Event, list[Delivery]]]
    next_after: str | None
    counts: dict[DeliveryStatus, int]


def list_events(
    ctx: Context,
    actor: Actor,
    *,
    type_: EventType | None = None,
    subject: str | None = None,
    after: str | None = None,
    limit: int = 50,
    failed_only: bool = False,
) -> EventPage:
    """Return events narrowed by type and subject, or only those with a failed delivery (admin only)."""
    actor.require(Role.ADMIN)
    with ctx.read() as uow:
        if failed_only:
            found = uow.events.failed(limit)
        else:
            found = uow.events.search(type_=type_, subject=subject, after=after, limit=limit)
        counts = uow.events.counts()
    following = found[-1][0].id if len(found) == limit and not failed_only else None
    return EventPage(found, following, counts)


def get_event(ctx: Context, actor: Actor, event_id: EventId) -> tuple[Event, list[Delivery]]:
    """Return one event and its deliveries (admin only)."""
    actor.require(Role.ADMIN)
    with ctx.read() as uow:
        found = uow.events.get(event_id)
    if found is None:
        raise NotFound(f"event {event_id} not found")
    return found


def retry(ctx: Context, actor: Actor, event_id: EventId) -> tuple[Event, list[Delivery]]:
    """Drive an event's unfinished deliveries again now: a failed one gets a fresh count (admin only)."""
    actor.require(Role.ADMIN)
    with ctx.uow() as uow:
        if uow.events.get(event_id) is None:
            raise NotFound(f"event {event_id} not found")
        uow.events.retry(event_id, ctx.clock.now())
        uow.commit()
    ctx.relay.wake([event_id])
    return get_event(ctx, actor, event_id)
