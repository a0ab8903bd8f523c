"""The outbox's rows: events, and each subscribed handler's delivery of them. Never commits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session

from tuika.adapters.db.raw import Sql, raw_for
from tuika.adapters.db.tables import DeliveryRow, EventRow
from tuika.domain.cases import Role
from tuika.domain.events import Delivery, DeliveryStatus, Event, EventType
from tuika.domain.ids import EventId

PENDING = DeliveryStatus.PENDING.value
_INSERT_EVENT = Sql.of(
    "INSERT INTO events (id, type, subject, actor, role, payload, occurred_at, not_before)"
    " VALUES (:id, :type, :subject, :actor, :role, :payload, :occurred_at, :not_before)"
)
_INSERT_DELIVERY = Sql.of(
    "INSERT INTO event_deliveries (event_id, handler, status, attempts, next_try_at)"
    " VALUES (:event_id, :handler, 'pending', 0, :next_try_at)"
)
# PostgreSQL writes an event with its deliveries in one statement: one round trip per change.
_INSERT_EVENT_WITH_DELIVERIES = Sql.of(
    "WITH e AS (INSERT INTO events (id, type, subject, actor, role, payload, occurred_at, not_before)"
    " VALUES (:id, :type, :subject, :actor, :role, :payload, :occurred_at, :not_before) RETURNING id)"
    " INSERT INTO event_deliveries (event_id, handler, status, attempts, next_try_at)"
    " SELECT e.id, h, 'pending', 0, :next_try_at FROM e, unnest(:handlers::text[]) AS h"
)
# The relay's claim: hand-written (decision 0003), since it runs for every wake-up. SQLite's
# BEGIN IMMEDIATE already excludes other relays, so there it selects, then holds what it took.
# PostgreSQL does both in one statement, the rows locked SKIP LOCKED: relays running at once
# take different rows and none waits for another.
_CLAIM_COLUMNS = (
    "SELECT d.event_id, d.handler, d.attempts, d.last_error, e.type, e.subject, e.actor, e.role, e.payload,"
    " e.occurred_at, e.not_before FROM event_deliveries d JOIN events e ON e.id = d.event_id"
    " WHERE d.status = 'pending' AND d.next_try_at <= :now"
)
_CLAIM_TAIL = " ORDER BY d.next_try_at LIMIT :limit"
_CLAIM_PG_HEAD = (
    "UPDATE event_deliveries d SET next_try_at = :until"
    " FROM (SELECT event_id, handler, next_try_at AS due FROM event_deliveries"
    " WHERE status = 'pending' AND next_try_at <= :now"
)
_CLAIM_PG_ORDER = " ORDER BY next_try_at"
_CLAIM_PG_TAIL = (
    " LIMIT :limit FOR UPDATE SKIP LOCKED) c, events e"
    " WHERE d.event_id = c.event_id AND d.handler = c.handler AND e.id = d.event_id"
    " RETURNING d.event_id, d.handler, d.attempts, d.last_error, e.type, e.subject, e.actor, e.role,"
    " e.payload, e.occurred_at, e.not_before, c.due"
)
_CLAIM_TIMES = ("occurred_at", "not_before", "due")


def _claim_sql(count: int | None = None) -> Sql:
    """Return the claim, narrowed to ``count`` named events when given (PostgreSQL takes them as one array)."""
    names = "" if count is None else ", ".join(f":e{n}" for n in range(count))
    sqlite = Sql.of(_CLAIM_COLUMNS + (f" AND d.event_id IN ({names})" if names else "") + _CLAIM_TAIL)
    # Named events are not ordered in the query (the rows are sorted after): ordered, a plan
    # kept for the prepared statement may walk the due index from its start, past every row
    # due, to find a few events the primary key reaches at once (2.5 ms a wake-up, not 0.3).
    postgres = Sql.of(_CLAIM_PG_HEAD + (" AND event_id = ANY(:ids)" if names else _CLAIM_PG_ORDER) + _CLAIM_PG_TAIL)
    return Sql(sqlite.sqlite, postgres.postgres, frozenset(_CLAIM_TIMES), frozenset({"payload"}))


_CLAIM_DUE = _claim_sql()
_claim_of = lru_cache(maxsize=64)(_claim_sql)
_HOLD = Sql.of(
    "UPDATE event_deliveries SET next_try_at = :until WHERE event_id = :e AND handler = :h AND status = 'pending'"
)
_FINISH = Sql.of(
    "UPDATE event_deliveries SET status = :s, attempts = :a, next_try_at = :n, done_at = :d,"
    " last_error = COALESCE(:x, last_error) WHERE event_id = :e AND handler = :h AND status = 'pending'"
)
# PostgreSQL stores a whole batch in one statement, each column passed as one array: a
# pipeline of one UPDATE per delivery cost more than the relaying itself.
_FINISH_ALL = Sql.of(
    "UPDATE event_deliveries d SET status = v.s, attempts = v.a, next_try_at = v.n, done_at = v.d,"
    " last_error = COALESCE(v.x, d.last_error)"
    " FROM unnest(:e::text[], :h::text[], :s::text[], :a::integer[], :n::timestamptz[], :d::timestamptz[],"
    " :x::text[]) AS v(e, h, s, a, n, d, x)"
    " WHERE d.event_id = v.e AND d.handler = v.h AND d.status = 'pending'"
)


def _aware(value: datetime | None) -> datetime:
    assert value is not None
    return value


_DELIVERIES = cast(Table, DeliveryRow.__table__)
_EVENTS = cast(Table, EventRow.__table__)


class SqlEventRepository:
    """Writes events with their deliveries, and lets relays claim what is due.

    ``subscriptions`` names the handlers of each event type (the handler table, as names):
    every event is written with one pending delivery per subscribed handler, in the same
    transaction, so no reaction can be lost between the change and the relay.
    """

    def __init__(self, session: Session, subscriptions: Mapping[EventType, Sequence[str]]) -> None:
        self.s = session
        self.subscriptions = subscriptions
        self.written: list[Event] = []

    def add(self, event: Event) -> None:
        """Store an event and a pending delivery for each handler of its type."""
        # Hand-written, like the claim path it rides on (decision 0003): this runs with every
        # change of every case, and through SQLAlchemy it would cost more than the change.
        raw = raw_for(self.s)
        values = {
            "id": event.id,
            "type": event.type.value,
            "subject": event.subject,
            "actor": event.actor,
            "role": event.role.value,
            "payload": raw.json_in(dict(event.payload)),
            "occurred_at": raw.time_in(event.occurred_at),
            "not_before": raw.time_in(event.not_before),
        }
        handlers = list(self.subscriptions.get(event.type, ()))
        start = raw.time_in(event.starts_at)
        if not raw.sqlite and handlers:
            raw.run(_INSERT_EVENT_WITH_DELIVERIES, {**values, "handlers": handlers, "next_try_at": start})
        else:
            raw.run(_INSERT_EVENT, values)
            for name in handlers:
                raw.run(_INSERT_DELIVERY, {"event_id": event.id, "handler": name, "next_try_at": start})
        self.written.append(event)

    def claim(
        self, due_by: datetime, lease_until: datetime, limit: int, event_ids: Sequence[EventId] | None = None
    ) -> list[tuple[Event, Delivery]]:
        """Take up to ``limit`` deliveries due by ``due_by``, holding each until ``lease_until``.

        On PostgreSQL the rows are locked with SKIP LOCKED, so relays running at once each
        take different rows and none waits for another; the lease then keeps them taken
        after this transaction commits, until the relay finishes them or its lease ends
        (a relay that died). SQLite has one writer at a time, which gives the same.
        """
        raw = raw_for(self.s)
        params: dict[str, Any] = {"now": raw.time_in(due_by), "limit": limit}
        sql = _CLAIM_DUE
        if event_ids is not None:
            wanted = list(dict.fromkeys(event_ids))
            if not wanted:
                return []
            if raw.sqlite:
                params.update({f"e{n}": event_id for n, event_id in enumerate(wanted)})
            else:
                params["ids"] = wanted
            sql = _claim_of(len(wanted))
        until = raw.time_in(lease_until)
        params["until"] = until
        rows = raw.records(sql, params)
        if not rows:
            return []
        if raw.sqlite:
            raw.run_many(_HOLD, [{"until": until, "e": r["event_id"], "h": r["handler"]} for r in rows])
        else:
            rows.sort(key=lambda r: r["due"])
        return [
            (
                _event(
                    r["event_id"],
                    r["type"],
                    r["subject"],
                    r["actor"],
                    r["role"],
                    _aware(r["occurred_at"]),
                    r["payload"],
                    r["not_before"],
                ),
                Delivery(
                    event_id=EventId(r["event_id"]),
                    handler=r["handler"],
                    status=DeliveryStatus.PENDING,
                    attempts=r["attempts"],
                    next_try_at=lease_until,
                    last_error=r["last_error"],
                ),
            )
            for r in rows
        ]

    def extend(self, deliveries: Sequence[Delivery], until: datetime) -> None:
        """Hold deliveries a relay is running until ``until``; finished ones are left alone."""
        if not deliveries:
            return
        self.s.connection().execute(
            update(_DELIVERIES)
            .where(
                _DELIVERIES.c.event_id == bindparam("e"),
                _DELIVERIES.c.handler == bindparam("h"),
                _DELIVERIES.c.status == PENDING,
            )
            .values(next_try_at=until),
            [{"e": d.event_id, "h": d.handler} for d in deliveries],
        )

    def due(self, now: datetime, limit: int, woken_by: datetime | None = None) -> list[EventId]:
        """Return the ids of events with a delivery due by ``now``, the longest waiting first.

        With ``woken_by``, a delivery due at its event's start (which the commit's wake-up
        runs) counts only once due by then; one whose time moved on (a retry, a wait) has no
        wake-up coming and counts at once.
        """
        query = (
            select(DeliveryRow.event_id, func.min(DeliveryRow.next_try_at).label("due"))
            .where(DeliveryRow.status == PENDING, DeliveryRow.next_try_at <= now)
            .group_by(DeliveryRow.event_id)
            .order_by("due")
            .limit(limit)
        )
        if woken_by is not None:
            started = func.coalesce(EventRow.not_before, EventRow.occurred_at)
            query = query.join(EventRow, EventRow.id == DeliveryRow.event_id).where(
                or_(DeliveryRow.next_try_at <= woken_by, DeliveryRow.next_try_at > started)
            )
        return [EventId(row.event_id) for row in self.s.execute(query)]

    def finish(self, results: Sequence[Delivery]) -> None:
        """Store what each run came to; a delivery someone finished meanwhile is left as it is."""
        if not results:
            return
        raw = raw_for(self.s)
        outcomes = [
            {
                "e": r.event_id,
                "h": r.handler,
                "s": r.status.value,
                "a": r.attempts,
                "n": raw.time_in(r.next_try_at),
                "d": raw.time_in(r.done_at),
                "x": r.last_error[:2000] if r.last_error is not None else None,
            }
            for r in results
        ]
        if raw.sqlite or len(outcomes) == 1:
            raw.run_many(_FINISH, outcomes)
        else:
            raw.run(_FINISH_ALL, {column: [row[column] for row in outcomes] for column in outcomes[0]})

    def retry(self, event_id: EventId, at: datetime) -> int:
        """Make the unfinished deliveries of an event due at ``at``; a failed one starts its count again.

        Returns how many. A delivery a relay holds right now may run twice: handlers are
        idempotent, and ops retry what is stuck, not what is running.
        """
        failed = self.s.execute(
            update(DeliveryRow)
            .where(DeliveryRow.event_id == event_id, DeliveryRow.status == DeliveryStatus.FAILED.value)
            .values(status=PENDING, next_try_at=at, attempts=0)
        )
        pending = self.s.execute(
            update(DeliveryRow)
            .where(DeliveryRow.event_id == event_id, DeliveryRow.status == PENDING, DeliveryRow.next_try_at > at)
            .values(next_try_at=at)
        )
        return int(getattr(failed, "rowcount", 0) or 0) + int(getattr(pending, "rowcount", 0) or 0)

    def get(self, event_id: EventId) -> tuple[Event, list[Delivery]] | None:
        """Return one event and its deliveries."""
        row = self.s.get(EventRow, event_id)
        if row is None:
            return None
        deliveries = self.s.scalars(
            select(DeliveryRow).where(DeliveryRow.event_id == event_id).order_by(DeliveryRow.handler)
        )
        return _event_of(row), [_delivery(d) for d in deliveries]

    def search(
        self,
        *,
        type_: EventType | None = None,
        subject: str | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> list[tuple[Event, list[Delivery]]]:
        """Return events oldest first, narrowed by type and subject, after the id ``after``."""
        query = select(EventRow).order_by(EventRow.id).limit(limit)
        if type_ is not None:
            query = query.where(EventRow.type == type_.value)
        if subject is not None:
            query = query.where(EventRow.subject == subject)
        if after is not None:
            query = query.where(EventRow.id > after)
        events = list(self.s.scalars(query))
        return self._with_deliveries(events)

    def feed(self, *, after: str | None, before: str, types: Sequence[EventType], limit: int) -> list[Event]:
        """Return events in id order after ``after`` and before ``before``, of ``types`` (any if empty)."""
        query = select(EventRow).where(EventRow.id < before).order_by(EventRow.id).limit(limit)
        if after is not None:
            query = query.where(EventRow.id > after)
        if types:
            query = query.where(EventRow.type.in_([t.value for t in types]))
        return [_event_of(row) for row in self.s.scalars(query)]

    def failed(self, limit: int = 100) -> list[tuple[Event, list[Delivery]]]:
        """Return the events with a failed delivery, oldest first."""
        failing = select(DeliveryRow.event_id).where(DeliveryRow.status == DeliveryStatus.FAILED.value)
        events = list(
            self.s.scalars(select(EventRow).where(EventRow.id.in_(failing)).order_by(EventRow.id).limit(limit))
        )
        return self._with_deliveries(events)

    def counts(self) -> dict[DeliveryStatus, int]:
        """Return how many deliveries are in each status."""
        rows = self.s.execute(select(DeliveryRow.status, func.count()).group_by(DeliveryRow.status))
        found = {DeliveryStatus(status): int(n) for status, n in rows}
        return {status: found.get(status, 0) for status in DeliveryStatus}

    def prune(self, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` events older than ``before`` none of whose deliveries is pending."""
        busy = exists().where(and_(DeliveryRow.event_id == EventRow.id, DeliveryRow.status == PENDING))
        ids = list(
            self.s.scalars(
                select(EventRow.id).where(EventRow.occurred_at < before, ~busy).order_by(EventRow.id).limit(limit)
            )
        )
        if not ids:
            return 0
        self.s.execute(delete(DeliveryRow).where(DeliveryRow.event_id.in_(ids)))
        self.s.execute(delete(EventRow).where(EventRow.id.in_(ids)))
        return len(ids)

    def _with_deliveries(self, events: list[EventRow]) -> list[tuple[Event, list[Delivery]]]:
        if not events:
            return []
        by_event: dict[str, list[Delivery]] = {row.id: [] for row in events}
        query = select(DeliveryRow).where(DeliveryRow.event_id.in_(list(by_event))).order_by(DeliveryRow.handler)
        for delivery in self.s.scalars(query):
            by_event[delivery.event_id].append(_delivery(delivery))
        return [(_event_of(row), by_event[row.id]) for row in events]


def _event_of(row: EventRow) -> Event:
    return _event(row.id, row.type, row.subject, row.actor, row.role, row.occurred_at, row.payload, row.not_before)


def _event(
    id_: str,
    type_: str,
    subject: str,
    actor: str,
    role: str,
    occurred_at: datetime,
    payload: Mapping[str, Any],
    not_before: datetime | None,
) -> Event:
    """Return the event of a stored row, read through the ORM or by the relay's hand-written claim."""
    return Event(
        id=EventId(id_),
        type=EventType(type_),
        subject=subject,
        actor=actor,
        role=Role(role),
        occurred_at=occurred_at,
        payload=dict(payload),
        not_before=not_before,
    )


def _delivery(row: DeliveryRow) -> Delivery:
    return Delivery(
        event_id=EventId(row.event_id),
        handler=row.handler,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        next_try_at=row.next_try_at,
        last_error=row.last_error,
        done_at=row.done_at,
    )
