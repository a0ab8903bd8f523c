"""The event feed a host platform polls: the outbox's events in order, settled, as a partner may read them.

Ids are ULIDs made when a transaction writes the event, and it commits a moment later, so
on PostgreSQL ids become visible out of order. The feed serves only ids older than the settle
time (``EventRules.feed_settle``): by then every transaction that made an earlier id has
committed or rolled back, and a cursor never passes an event it has not seen. The payload's
reason codes are the buyer's (anti-fraud signals replaced by their stand-ins): the platform
shows cases to its buyers.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from tuika.domain.cases import Role
from tuika.domain.events import Event, EventType
from tuika.domain.ids import ulid_floor
from tuika.domain.webhooks import Owner
from tuika.services.context import Actor, Context
from tuika.services.webhooks.writing import partner_payload


@dataclass(frozen=True, slots=True)
class FeedPage:
    events: list[Event]
    # Pass as ``after`` for the next page: the last event served, or the cursor given if none.
    next_after: str | None


def feed(ctx: Context, actor: Actor, *, after: str | None, types: Sequence[EventType], limit: int) -> FeedPage:
    """Return up to ``limit`` settled events after ``after``, of ``types`` (any if empty), oldest first."""
    actor.require(Role.PLATFORM, Role.ADMIN)
    # Ids carry the wall clock of the process that made them, so the cut is on that clock too:
    # the smallest id of the settled instant, below which every id was made before it.
    settled_ms = time.time_ns() // 1_000_000 - int(ctx.events.feed_settle.total_seconds() * 1000)
    before = ulid_floor(settled_ms)
    with ctx.read() as uow:
        found = uow.events.feed(after=after, before=before, types=types, limit=limit)
    shown = [replace(e, payload=partner_payload(e, Owner.PLATFORM)) for e in found]
    return FeedPage(shown, shown[-1].id if shown else after)
