"""Bodies of API v1 for webhook endpoints, their deliveries and the attempts of each."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from tuika.api.schemas import Strict

EventTypes = Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=20)]


class EndpointIn(Strict):
    """A URL to send events to; ``types`` empty (or left out) is every event type."""

    url: Annotated[str, Field(min_length=8, max_length=500)]
    description: Annotated[str, Field(max_length=200)] = ""
    types: EventTypes = Field(default_factory=list)


class EndpointPatch(Strict):
    """What to change; ``enabled: true`` turns a disabled endpoint back on."""

    url: Annotated[str | None, Field(min_length=8, max_length=500)] = None
    description: Annotated[str | None, Field(max_length=200)] = None
    types: EventTypes | None = None
    enabled: bool | None = None


class RotateIn(Strict):
    """How long the old secret goes on signing beside the new one (0 to 86400 s; 24 hours if left out)."""

    overlap_s: Annotated[int | None, Field(ge=0, le=86_400)] = None


class EndpointOut(BaseModel):
    """An endpoint; its secret is never shown again after it was made or rotated."""

    id: str
    url: str
    description: str
    # Empty: every event type.
    types: list[str]
    enabled: bool
    # "failing" (every try failed for 24 hours) or "owner"; null while enabled.
    disabled_reason: str | None
    failing_since: datetime | None
    # While it looks down, nothing is sent to it before this (one probe then); a success clears it.
    paused_until: datetime | None
    # The secrets signing now: the newest first, then any a rotation still keeps until it expires.
    signing_secrets: int
    created_at: datetime
    updated_at: datetime


class EndpointDetail(EndpointOut):
    """An endpoint with how many of its deliveries are pending, delivered and failed."""

    deliveries: dict[str, int]


class EndpointMade(EndpointOut):
    """An endpoint just made or rotated, with the secret its deliveries are signed with: keep it now."""

    secret: str


class EndpointList(BaseModel):
    items: list[EndpointOut]


class AttemptOut(BaseModel):
    """One try: the endpoint's HTTP status (null when none came), how long it took, the start of its answer."""

    at: datetime
    status: int | None
    latency_ms: int
    error: str | None
    response: str
    # Sent by the owner's hand (a redelivery), not by the schedule.
    manual: bool


class DeliveryOut(BaseModel):
    """One event for one endpoint; ``event_id`` is the ``webhook-id`` header of every try."""

    id: str
    event_id: str
    event_type: str
    # pending, delivered or failed
    state: str
    attempts: int
    created_at: datetime
    next_try_at: datetime | None
    delivered_at: datetime | None
    last_status: int | None
    last_error: str | None


class DeliveryDetail(DeliveryOut):
    body: str
    tries: list[AttemptOut]


class DeliveryPage(BaseModel):
    """Newest first; pass ``next_before`` as ``before`` for older deliveries."""

    items: list[DeliveryOut]
    next_before: str | None
