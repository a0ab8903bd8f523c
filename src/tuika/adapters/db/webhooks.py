"""Webhook endpoints, their deliveries and the attempts of each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from tuika.adapters.db.leases import take
from tuika.adapters.db.tables import WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow
from tuika.domain.events import EventType
from tuika.domain.webhooks import Attempt, Delivery, DeliveryState, Endpoint, Owner, Secret

_PENDING = DeliveryState.PENDING.value


class SqlWebhookRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    # --- endpoints ---

    def add_endpoint(self, endpoint: Endpoint) -> None:
        self.s.add(WebhookEndpointRow(id=endpoint.id, **_endpoint_values(endpoint)))
        self.s.flush()

    def save_endpoint(self, endpoint: Endpoint) -> None:
        self.s.execute(
            update(WebhookEndpointRow)
            .where(WebhookEndpointRow.id == endpoint.id)
            .values(**_endpoint_values(endpoint))
            .execution_options(synchronize_session=False)
        )

    def endpoint(self, endpoint_id: str, *, lock: bool = False) -> Endpoint | None:
        query = select(WebhookEndpointRow).where(WebhookEndpointRow.id == endpoint_id)
        row = self.s.scalars(query.with_for_update() if lock else query).one_or_none()
        return None if row is None else _endpoint(row)

    def endpoints(self, ids: Sequence[str]) -> list[Endpoint]:
        if not ids:
            return []
        rows = self.s.scalars(select(WebhookEndpointRow).where(WebhookEndpointRow.id.in_(list(ids))))
        return [_endpoint(r) for r in rows]

    def endpoints_of(self, owner: Owner, owner_id: str) -> list[Endpoint]:
        rows = self.s.scalars(
            select(WebhookEndpointRow)
            .where(WebhookEndpointRow.owner == owner.value, WebhookEndpointRow.owner_id == owner_id)
            .order_by(WebhookEndpointRow.id)
        )
        return [_endpoint(r) for r in rows]

    def enabled(self) -> list[Endpoint]:
        """Return every enabled endpoint: few, and each event is matched against all of them."""
        rows = self.s.scalars(select(WebhookEndpointRow).where(WebhookEndpointRow.enabled.is_(True)))
        return [_endpoint(r) for r in rows]

    def delete_endpoint(self, endpoint_id: str) -> None:
        """Delete an endpoint with its deliveries and their attempts: its owner no longer wants them."""
        deliveries = select(WebhookDeliveryRow.id).where(WebhookDeliveryRow.endpoint_id == endpoint_id)
        self.s.execute(delete(WebhookAttemptRow).where(WebhookAttemptRow.delivery_id.in_(deliveries)))
        self.s.execute(delete(WebhookDeliveryRow).where(WebhookDeliveryRow.endpoint_id == endpoint_id))
        self.s.execute(delete(WebhookEndpointRow).where(WebhookEndpointRow.id == endpoint_id))

    # --- deliveries ---

    def add_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        if deliveries:
            self.s.execute(insert(WebhookDeliveryRow), [_delivery_values(d) for d in deliveries])

    def due_endpoints(self, now: datetime, exclude: Sequence[str], limit: int) -> list[str]:
        """Return endpoints with deliveries due, the longest waiting first, leaving out ``exclude``."""
        first = func.min(WebhookDeliveryRow.next_try_at)
        enabled = select(WebhookEndpointRow.id).where(
            WebhookEndpointRow.enabled.is_(True),
            or_(WebhookEndpointRow.resume_at.is_(None), WebhookEndpointRow.resume_at <= now),
        )
        query = (
            select(WebhookDeliveryRow.endpoint_id)
            .where(
                WebhookDeliveryRow.state == _PENDING,
                WebhookDeliveryRow.next_try_at <= now,
                WebhookDeliveryRow.endpoint_id.in_(enabled),
            )
            .group_by(WebhookDeliveryRow.endpoint_id)
            .order_by(first)
            .limit(limit)
        )
        if exclude:
            query = query.where(WebhookDeliveryRow.endpoint_id.not_in(list(exclude)))
        return list(self.s.scalars(query))

    def claim(self, endpoint_id: str, now: datetime, lease_until: datetime, limit: int) -> list[Delivery]:
        """Take up to ``limit`` of an endpoint's due deliveries, oldest first, until ``lease_until``.

        The lease is the delivery's ``next_try_at``: a sender that dies leaves them due again
        when it ends. On PostgreSQL SKIP LOCKED lets senders of other processes take others.
        """
        due = [WebhookDeliveryRow.endpoint_id == endpoint_id, WebhookDeliveryRow.state == _PENDING]
        return [_delivery(r) for r in take(self.s, WebhookDeliveryRow, due, now, lease_until, limit)]

    def finish(self, deliveries: Sequence[Delivery], attempts: Sequence[Attempt]) -> None:
        """Store how deliveries went and the attempts that say so."""
        if deliveries:
            # One UPDATE by primary key run for every row (executemany), not a statement built per row.
            changing = ("id", "state", "attempts", "next_try_at", "delivered_at", "last_status", "last_error")
            self.s.execute(
                update(WebhookDeliveryRow),
                [{k: v for k, v in _delivery_values(d).items() if k in changing} for d in deliveries],
            )
        if attempts:
            self.s.execute(insert(WebhookAttemptRow), [_attempt_values(a) for a in attempts])

    def delivery(self, delivery_id: str, *, lock: bool = False) -> Delivery | None:
        query = select(WebhookDeliveryRow).where(WebhookDeliveryRow.id == delivery_id)
        row = self.s.scalars(query.with_for_update() if lock else query).one_or_none()
        return None if row is None else _delivery(row)

    def deliveries_of(
        self, endpoint_id: str, *, before: str | None, limit: int, state: DeliveryState | None = None
    ) -> list[Delivery]:
        query = select(WebhookDeliveryRow).where(WebhookDeliveryRow.endpoint_id == endpoint_id)
        if before is not None:
            query = query.where(WebhookDeliveryRow.id < before)
        if state is not None:
            query = query.where(WebhookDeliveryRow.state == state.value)
        rows = self.s.scalars(query.order_by(WebhookDeliveryRow.id.desc()).limit(limit))
        return [_delivery(r) for r in rows]

    def attempts_of(self, delivery_id: str) -> list[Attempt]:
        rows = self.s.scalars(
            select(WebhookAttemptRow).where(WebhookAttemptRow.delivery_id == delivery_id).order_by(WebhookAttemptRow.id)
        )
        return [_attempt(r) for r in rows]

    def counts(self, endpoint_id: str) -> dict[DeliveryState, int]:
        rows = self.s.execute(
            select(WebhookDeliveryRow.state, func.count())
            .where(WebhookDeliveryRow.endpoint_id == endpoint_id)
            .group_by(WebhookDeliveryRow.state)
        )
        return {DeliveryState(state): int(n) for state, n in rows}


def _endpoint_values(e: Endpoint) -> dict[str, Any]:
    return {
        "owner": e.owner.value,
        "owner_id": e.owner_id,
        "url": e.url,
        "description": e.description,
        "types": sorted(t.value for t in e.types),
        "secrets": [
            {
                "sealed": s.sealed,
                "created_at": s.created_at.isoformat(),
                "expires_at": None if s.expires_at is None else s.expires_at.isoformat(),
            }
            for s in e.secrets
        ],
        "enabled": e.enabled,
        "disabled_reason": e.disabled_reason,
        "failing_since": e.failing_since,
        "resume_at": e.resume_at,
        "created_at": e.created_at,
        "updated_at": e.updated_at,
    }


def _endpoint(r: WebhookEndpointRow) -> Endpoint:
    return Endpoint(
        id=r.id,
        owner=Owner(r.owner),
        owner_id=r.owner_id,
        url=r.url,
        description=r.description,
        types=frozenset(EventType(t) for t in r.types),
        secrets=tuple(
            Secret(
                str(s["sealed"]),
                datetime.fromisoformat(s["created_at"]),
                None if s["expires_at"] is None else datetime.fromisoformat(s["expires_at"]),
            )
            for s in r.secrets
        ),
        enabled=r.enabled,
        created_at=r.created_at,
        updated_at=r.updated_at,
        failing_since=r.failing_since,
        disabled_reason=r.disabled_reason,
        resume_at=r.resume_at,
    )


def _delivery_values(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "endpoint_id": d.endpoint_id,
        "event_id": d.event_id,
        "event_type": d.event_type.value,
        "state": d.state.value,
        "attempts": d.attempts,
        "created_at": d.created_at,
        "next_try_at": d.next_try_at,
        "delivered_at": d.delivered_at,
        "last_status": d.last_status,
        "last_error": None if d.last_error is None else d.last_error[:300],
        "body": d.body,
    }


def _delivery(r: WebhookDeliveryRow) -> Delivery:
    return Delivery(
        id=r.id,
        endpoint_id=r.endpoint_id,
        event_id=r.event_id,
        event_type=EventType(r.event_type),
        state=DeliveryState(r.state),
        attempts=r.attempts,
        created_at=r.created_at,
        next_try_at=r.next_try_at,
        delivered_at=r.delivered_at,
        last_status=r.last_status,
        last_error=r.last_error,
        body=r.body,
    )


def _attempt_values(a: Attempt) -> dict[str, Any]:
    return {
        "delivery_id": a.delivery_id,
        "at": a.at,
        "status": a.status,
        "latency_ms": a.latency_ms,
        "error": None if a.error is None else a.error[:300],
        "excerpt": a.excerpt[:500],
        "manual": a.manual,
    }


def _attempt(r: WebhookAttemptRow) -> Attempt:
    return Attempt(r.delivery_id, r.at, r.status, r.latency_ms, r.error, r.excerpt, r.manual)
