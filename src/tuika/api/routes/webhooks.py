"""Webhook endpoints of the host platform and of merchants: register, read, change, rotate, redeliver."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from tuika.api import present
from tuika.api import webhook_schemas as w
from tuika.api.contract import answers
from tuika.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from tuika.domain.webhooks import DeliveryState
from tuika.http.deps import Caller, Ctx
from tuika.services.webhooks import endpoints

router = APIRouter(prefix="/v1/webhook-endpoints", tags=["webhooks"])

_ID = r"^we_[0-9a-f]{28}$"
_DELIVERY = r"^wd_[0-9a-f]{28}$"


@router.post("", response_model=w.EndpointMade, status_code=201, responses=answers(Forbidden, InvalidInput, Conflict))
def create(body: w.EndpointIn, ctx: Ctx, caller: Caller) -> w.EndpointMade:
    """Register an endpoint (host platform or merchant); the answer holds its secret, shown this once."""
    made = endpoints.create(ctx, caller, url=body.url, description=body.description, types=body.types)
    return present.endpoint_made(made, ctx.clock.now())


@router.get("", response_model=w.EndpointList, responses=answers(Forbidden))
def list_endpoints(ctx: Ctx, caller: Caller) -> w.EndpointList:
    """Return the caller's endpoints, oldest first."""
    now = ctx.clock.now()
    return w.EndpointList(items=[present.endpoint(e, now) for e in endpoints.endpoints(ctx, caller)])


@router.get("/{endpoint_id}", response_model=w.EndpointDetail, responses=answers(Forbidden, NotFound))
def get_endpoint(endpoint_id: str, ctx: Ctx, caller: Caller) -> w.EndpointDetail:
    """Return one endpoint and how many of its deliveries stand where."""
    return present.endpoint_detail(endpoints.endpoint(ctx, caller, endpoint_id), ctx.clock.now())


@router.patch("/{endpoint_id}", response_model=w.EndpointOut, responses=answers(Forbidden, NotFound, InvalidInput))
def patch_endpoint(endpoint_id: str, body: w.EndpointPatch, ctx: Ctx, caller: Caller) -> w.EndpointOut:
    """Change an endpoint's URL, description or types, or turn it off or on again."""
    changed = endpoints.update(
        ctx,
        caller,
        endpoint_id,
        url=body.url,
        description=body.description,
        types=body.types,
        enabled=body.enabled,
    )
    return present.endpoint(changed, ctx.clock.now())


@router.delete("/{endpoint_id}", status_code=204, responses=answers(Forbidden, NotFound))
def delete_endpoint(endpoint_id: str, ctx: Ctx, caller: Caller) -> Response:
    """Delete an endpoint with its deliveries; nothing more is sent to it."""
    endpoints.delete(ctx, caller, endpoint_id)
    return Response(status_code=204)


@router.post(
    "/{endpoint_id}/rotate-secret", response_model=w.EndpointMade, responses=answers(Forbidden, NotFound, InvalidInput)
)
def rotate(endpoint_id: str, ctx: Ctx, caller: Caller, body: w.RotateIn | None = None) -> w.EndpointMade:
    """Give the endpoint a new secret; the old one signs beside it until ``overlap_s`` has passed."""
    made = endpoints.rotate(ctx, caller, endpoint_id, overlap_s=None if body is None else body.overlap_s)
    return present.endpoint_made(made, ctx.clock.now())


@router.get("/{endpoint_id}/deliveries", response_model=w.DeliveryPage, responses=answers(Forbidden, NotFound))
def list_deliveries(
    endpoint_id: str,
    ctx: Ctx,
    caller: Caller,
    before: Annotated[str | None, Query(pattern=_DELIVERY, description="a delivery id")] = None,
    state: DeliveryState | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> w.DeliveryPage:
    """Return the endpoint's deliveries, newest first; ``state`` picks pending, delivered or failed."""
    found = endpoints.deliveries(ctx, caller, endpoint_id, before=before, limit=limit, state=state)
    return w.DeliveryPage(
        items=[present.delivery(d) for d in found], next_before=found[-1].id if len(found) == limit else None
    )


@router.get(
    "/{endpoint_id}/deliveries/{delivery_id}", response_model=w.DeliveryDetail, responses=answers(Forbidden, NotFound)
)
def get_delivery(endpoint_id: str, delivery_id: str, ctx: Ctx, caller: Caller) -> w.DeliveryDetail:
    """Return one delivery, its body and every try of it."""
    return present.delivery_detail(endpoints.delivery(ctx, caller, endpoint_id, delivery_id))


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/retry",
    response_model=w.DeliveryDetail,
    responses=answers(Forbidden, NotFound, Conflict),
)
def retry(endpoint_id: str, delivery_id: str, ctx: Ctx, caller: Caller) -> w.DeliveryDetail:
    """Send the delivery again now, with the same ``webhook-id``; the answer shows how this try went."""
    return present.delivery_detail(endpoints.redeliver(ctx, caller, endpoint_id, delivery_id))
