"""Webhook endpoints as their owners manage them: register, read, change, rotate the secret, delete.

A host platform and a merchant each see only their own endpoints (an admin reads any). The
secret is shown once, when the endpoint is made or its secret rotated; tuika keeps it sealed.
A URL is checked when it is registered and again each time a delivery resolves its host.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Final

from tuika.domain.cases import Role
from tuika.domain.errors import (
    DeliveryNotRetryable,
    Forbidden,
    InvalidInput,
    NotFound,
    RotationOverlapInvalid,
    TooManyEndpoints,
)
from tuika.domain.errors.webhooks import MAX_ENDPOINTS
from tuika.domain.ids import new_id
from tuika.domain.webhooks import (
    MAX_DESCRIPTION,
    ROTATION_OVERLAP,
    Attempt,
    Delivery,
    DeliveryState,
    Endpoint,
    Owner,
    Secret,
    check_url,
    new_secret,
    parse_types,
)
from tuika.services.context import Actor, Context
from tuika.services.webhooks.sending import send_now

_OWNERS: Final = {Role.PLATFORM: Owner.PLATFORM, Role.MERCHANT: Owner.MERCHANT}


@dataclass(frozen=True, slots=True)
class Made:
    """An endpoint just made or rotated, with its new secret in the clear: the only time it is shown."""

    endpoint: Endpoint
    secret: str


@dataclass(frozen=True, slots=True)
class EndpointView:
    endpoint: Endpoint
    counts: dict[DeliveryState, int]


@dataclass(frozen=True, slots=True)
class DeliveryView:
    delivery: Delivery
    attempts: list[Attempt]


def owner_of(actor: Actor) -> Owner:
    """Return whose endpoints ``actor`` manages: a platform's or a merchant's."""
    found = _OWNERS.get(actor.role)
    if found is None:
        raise Forbidden(f"role {actor.role.value} has no webhook endpoints")
    return found


def create(ctx: Context, actor: Actor, *, url: str, description: str, types: Sequence[str]) -> Made:
    """Register an endpoint, enabled, with a new secret."""
    owner = owner_of(actor)
    checked = check_url(url, allow_private=ctx.webhooks.allow_private)
    wanted = parse_types(types)
    _description(description)
    now = ctx.clock.now()
    endpoint_id = new_id("we")
    secret = new_secret()
    endpoint = Endpoint(
        id=endpoint_id,
        owner=owner,
        owner_id=actor.subject,
        url=checked,
        description=description,
        types=wanted,
        secrets=(Secret(ctx.cipher.encrypt(secret, aad=endpoint_id), now),),
        enabled=True,
        created_at=now,
        updated_at=now,
    )
    with ctx.uow() as uow:
        if len(uow.webhooks.endpoints_of(owner, actor.subject)) >= MAX_ENDPOINTS:
            raise TooManyEndpoints(f"{owner.value} {actor.subject} has {MAX_ENDPOINTS} endpoints already")
        uow.webhooks.add_endpoint(endpoint)
        uow.commit()
    return Made(endpoint, secret)


def endpoints(ctx: Context, actor: Actor) -> list[Endpoint]:
    """Return the caller's endpoints, oldest first."""
    owner = owner_of(actor)
    with ctx.read() as uow:
        return uow.webhooks.endpoints_of(owner, actor.subject)


def endpoint(ctx: Context, actor: Actor, endpoint_id: str) -> EndpointView:
    """Return one of the caller's endpoints with how many of its deliveries stand where."""
    with ctx.read() as uow:
        found = _mine(actor, uow.webhooks.endpoint(endpoint_id), endpoint_id)
        return EndpointView(found, uow.webhooks.counts(found.id))


def update(
    ctx: Context,
    actor: Actor,
    endpoint_id: str,
    *,
    url: str | None = None,
    description: str | None = None,
    types: Sequence[str] | None = None,
    enabled: bool | None = None,
) -> Endpoint:
    """Change what is given; enabling a disabled endpoint clears its failing record."""
    checked = None if url is None else check_url(url, allow_private=ctx.webhooks.allow_private)
    wanted = None if types is None else parse_types(types)
    if description is not None:
        _description(description)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        found = _mine(actor, uow.webhooks.endpoint(endpoint_id, lock=True), endpoint_id)
        changed = replace(
            found,
            url=checked if checked is not None else found.url,
            description=description if description is not None else found.description,
            types=wanted if wanted is not None else found.types,
            updated_at=now,
        )
        if enabled is True and not found.enabled:
            changed = replace(changed, enabled=True, disabled_reason=None, failing_since=None, resume_at=None)
        elif enabled is False and found.enabled:
            changed = replace(changed, enabled=False, disabled_reason="owner")
        uow.webhooks.save_endpoint(changed)
        uow.commit()
    return changed


def rotate(ctx: Context, actor: Actor, endpoint_id: str, *, overlap_s: int | None = None) -> Made:
    """Give an endpoint a new secret; the old one goes on signing beside it for ``overlap_s`` (24 h)."""
    overlap = ROTATION_OVERLAP if overlap_s is None else timedelta(seconds=overlap_s)
    if not timedelta(0) <= overlap <= ROTATION_OVERLAP:
        raise RotationOverlapInvalid(f"overlap_s must be 0 to {int(ROTATION_OVERLAP.total_seconds())}")
    secret = new_secret()
    now = ctx.clock.now()
    with ctx.uow() as uow:
        found = _mine(actor, uow.webhooks.endpoint(endpoint_id, lock=True), endpoint_id)
        rotated = found.rotated(ctx.cipher.encrypt(secret, aad=found.id), now, overlap)
        uow.webhooks.save_endpoint(rotated)
        uow.commit()
    return Made(rotated, secret)


def delete(ctx: Context, actor: Actor, endpoint_id: str) -> None:
    """Delete an endpoint, its deliveries and their attempts."""
    with ctx.uow() as uow:
        _mine(actor, uow.webhooks.endpoint(endpoint_id, lock=True), endpoint_id)
        uow.webhooks.delete_endpoint(endpoint_id)
        uow.commit()


def deliveries(
    ctx: Context, actor: Actor, endpoint_id: str, *, before: str | None, limit: int, state: DeliveryState | None
) -> list[Delivery]:
    """Return an endpoint's deliveries, newest first."""
    with ctx.read() as uow:
        _mine(actor, uow.webhooks.endpoint(endpoint_id), endpoint_id)
        return uow.webhooks.deliveries_of(endpoint_id, before=before, limit=limit, state=state)


def delivery(ctx: Context, actor: Actor, endpoint_id: str, delivery_id: str) -> DeliveryView:
    """Return one delivery with every attempt of it, oldest first."""
    with ctx.read() as uow:
        _mine(actor, uow.webhooks.endpoint(endpoint_id), endpoint_id)
        found = uow.webhooks.delivery(delivery_id)
        if found is None or found.endpoint_id != endpoint_id:
            raise NotFound(f"no delivery {delivery_id} of endpoint {endpoint_id}")
        return DeliveryView(found, uow.webhooks.attempts_of(delivery_id))


def redeliver(ctx: Context, actor: Actor, endpoint_id: str, delivery_id: str) -> DeliveryView:
    """Send a delivery again now, whatever became of it (delivered, failed or still trying)."""
    with ctx.read() as uow:
        found_endpoint = _mine(actor, uow.webhooks.endpoint(endpoint_id), endpoint_id)
        found = uow.webhooks.delivery(delivery_id)
    if found is None or found.endpoint_id != endpoint_id:
        raise NotFound(f"no delivery {delivery_id} of endpoint {endpoint_id}")
    if not found_endpoint.enabled:
        raise DeliveryNotRetryable(f"endpoint {endpoint_id} is disabled")
    send_now(ctx, found, found_endpoint)
    return delivery(ctx, actor, endpoint_id, delivery_id)


def _mine(actor: Actor, found: Endpoint | None, endpoint_id: str) -> Endpoint:
    # Another owner's endpoint is as absent as one that does not exist: ids are not probed.
    if found is None or not (
        actor.role is Role.ADMIN or (found.owner is _OWNERS.get(actor.role) and found.owner_id == actor.subject)
    ):
        raise NotFound(f"no webhook endpoint {endpoint_id}")
    return found


def _description(text: str) -> None:
    if len(text) > MAX_DESCRIPTION:
        raise InvalidInput(f"a description is at most {MAX_DESCRIPTION} characters")
