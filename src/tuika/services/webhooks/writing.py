"""The webhook writer: one delivery row per event for each endpoint that wants it.

A ``write`` handler of the outbox, subscribed to every event type: its rows commit with its
outbox delivery marked done, so each endpoint gets each event once, and the sender in the
worker takes it from there. The body is written now, as its owner may read the event:
the anti-fraud signals replaced by their stand-ins (the platform and the merchant both show
cases to buyers), and a merchant's without the buyer's id.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Final

from tuika.domain.events import Event, EventType, Json
from tuika.domain.ids import OrderId, new_id
from tuika.domain.reason_codes import withhold
from tuika.domain.webhooks import Delivery, DeliveryState, Endpoint, Owner
from tuika.services.context import Handler
from tuika.services.ports import UnitOfWork

# Every event goes to the platform's endpoints; a merchant's get those about its own orders.
WEBHOOK_TYPES: Final = frozenset(EventType)


def partner_payload(event: Event, owner: Owner) -> dict[str, Json]:
    """Return an event's payload as an endpoint's owner (and the feed, as the platform) reads it."""
    payload = dict(event.payload)
    codes = payload.get("codes")
    if isinstance(codes, list):
        payload["codes"] = list(withhold(tuple(str(c) for c in codes)))
    if owner is Owner.MERCHANT:
        payload.pop("buyer_id", None)
    return payload


def event_body(event: Event, owner: Owner) -> dict[str, Json]:
    """Return the body a delivery of ``event`` carries: the feed's shape, so one parser reads both."""
    return {
        "id": event.id,
        "type": event.type.value,
        "subject": event.subject,
        "occurred_at": event.occurred_at.isoformat(),
        "payload": partner_payload(event, owner),
    }


def write_deliveries(uow: UnitOfWork, events: Sequence[Event]) -> None:
    """Write a delivery of each event for each enabled endpoint that wants it.

    The endpoints are read once for the batch: few, and every event is matched against all.
    """
    endpoints = uow.webhooks.enabled()
    if not endpoints:
        return
    merchants: dict[OrderId, str | None] = {}
    deliveries = []
    for event in events:
        wanting = [e for e in endpoints if e.wants(event.type)]
        if not wanting:
            continue
        merchant = _merchant_of(uow, event, merchants) if any(e.owner is Owner.MERCHANT for e in wanting) else None
        bodies: dict[Owner, str] = {}
        for endpoint in wanting:
            if not _for(endpoint, merchant):
                continue
            if endpoint.owner not in bodies:
                bodies[endpoint.owner] = json.dumps(
                    event_body(event, endpoint.owner), ensure_ascii=False, separators=(",", ":")
                )
            deliveries.append(
                Delivery(
                    id=new_id("wd"),
                    endpoint_id=endpoint.id,
                    event_id=event.id,
                    event_type=event.type,
                    state=DeliveryState.PENDING,
                    attempts=0,
                    created_at=event.occurred_at,
                    next_try_at=event.occurred_at,
                    body=bodies[endpoint.owner],
                )
            )
    uow.webhooks.add_deliveries(deliveries)


def _for(endpoint: Endpoint, merchant: str | None) -> bool:
    return endpoint.owner is Owner.PLATFORM or (merchant is not None and endpoint.owner_id == merchant)


def _merchant_of(uow: UnitOfWork, event: Event, known: dict[OrderId, str | None]) -> str | None:
    """Return the merchant an event is about; ``known`` keeps the batch's orders' merchants."""
    named = event.payload.get("merchant_id")
    if isinstance(named, str):
        return named
    order_id = event.payload.get("order_id")
    if not isinstance(order_id, str):
        return None
    key = OrderId(order_id)
    if key not in known:
        order = uow.orders.get(key)
        known[key] = None if order is None else order.merchant_id
    return known[key]


WEBHOOKS: Final = Handler("webhooks", write=write_deliveries)
