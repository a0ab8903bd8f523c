"""Orders: pushed in by the host platform, read by buyers and staff, with their policy."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from tuika.api import present
from tuika.api import schemas as s
from tuika.api.contract import answers
from tuika.domain.errors import CardKeyNotFound, EmailInvalid, Forbidden, OrderHasClaims, PhoneInvalid
from tuika.domain.ids import OrderId
from tuika.domain.money import Money
from tuika.domain.orders import DeliveryStatus, Order, OrderItem, ProductKind
from tuika.domain.reveals import Channel
from tuika.http.deps import Caller, Ctx, asker, bearer
from tuika.services.claims import filing as claims
from tuika.services.claims import policies
from tuika.services.orders import orders, reveals
from tuika.services.ports import OrderFilter
from tuika.services.review import precheck as prechecks

router = APIRouter(prefix="/v1/orders", tags=["orders"])
Cursor = Annotated[str | None, Query(max_length=64)]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post(
    "",
    response_model=s.OrderSynced,
    # The status says whether the order was new, so both are documented.
    responses={
        200: {"description": "The order was known and is updated"},
        201: {"model": s.OrderSynced, "description": "The order was new and is stored"},
        **answers(Forbidden, OrderHasClaims, PhoneInvalid, EmailInvalid),
    },
)
def push_order(body: s.OrderIn, ctx: Ctx, caller: Caller, response: Response) -> s.OrderSynced:
    """Insert or update an order (keyed by the platform's order id)."""
    order = Order(
        id=OrderId(body.id),
        buyer_id=body.buyer_id,
        merchant_id=body.merchant_id,
        supplier_id=body.supplier_id,
        merchant_name=body.merchant_name,
        supplier_name=body.supplier_name,
        sku=body.sku,
        product_kind=body.product_kind,
        items=tuple(OrderItem(i.id, activated_at=i.activated_at) for i in body.items),
        amount=Money(body.amount_fen),
        payment_route=body.payment.route,
        transaction_id=body.payment.transaction_id,
        paid_at=body.paid_at,
        delivery_status=body.delivery.status,
        delivered_at=body.delivery.delivered_at,
        face_value=None if body.face_value_fen is None else Money(body.face_value_fen),
        title=body.title,
    )
    keys = {i.id: i.card_key for i in body.items if i.card_key is not None}
    accounts = {i.id: i.account for i in body.items if i.account is not None}
    contact = body.buyer_contact
    _, created, twice = orders.sync_order(
        ctx,
        caller,
        order,
        keys,
        accounts,
        buyer_phone=contact.phone if contact is not None else None,
        buyer_email=contact.email if contact is not None else None,
    )
    response.status_code = 201 if created else 200
    return s.OrderSynced(id=order.id, created=created, warnings=[present.key_twice(t) for t in twice])


@router.get("", response_model=s.OrderPage, responses=answers(Forbidden))
def list_orders(
    ctx: Ctx,
    caller: Caller,
    buyer_id: Annotated[str | None, Query(max_length=64)] = None,
    product_kind: ProductKind | None = None,
    status: DeliveryStatus | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> s.OrderPage:
    """List orders: a buyer sees their own; agents and admins filter all."""
    where = OrderFilter(
        buyer_id, product_kind.value if product_kind else None, status.value if status else None, cursor, limit
    )
    found = orders.list_orders(ctx, caller, where)
    items = [present.order(v) for v in orders.views(ctx, caller, found, accounts=False)]
    return s.OrderPage(items=items, next_cursor=found[-1].id if len(found) == limit else None)


@router.get("/{order_id}", response_model=s.OrderOut)
def get_order(order_id: OrderId, ctx: Ctx, caller: Caller) -> s.OrderOut:
    """Return one order, its card keys masked with when each was first revealed; its buyer sees the accounts in full.

    Staff read every reveal of its keys too (``reveals``): when, from which session, IP and user agent.
    """
    order = orders.get_order(ctx, caller, order_id)
    held = orders.held_items(ctx, order_id)
    shown = orders.view(ctx, caller, order, accounts=True)
    return present.order(shown, held, reveals.log_for(ctx, caller, order_id))


@router.post(
    "/{order_id}/items/{item_id}/reveal",
    response_model=s.RevealedKey,
    responses=answers(CardKeyNotFound),
)
def reveal_key(
    order_id: OrderId, item_id: str, request: Request, ctx: Ctx, caller: Caller, response: Response
) -> s.RevealedKey:
    """Show one card key in clear to its buyer, once the reveal (time, session, IP, user agent) is logged on the order.

    Only the order's own buyer, and only an item with a card key; anything else is 404
    ``card_key_not_found``. Revealing a key may lose it the instant refund of keys never
    revealed: the pre-check warns first (``reveal_loses_refund``).
    """
    shown = reveals.reveal(ctx, caller, order_id, item_id, asker(request, Channel.API, bearer(request)))
    # The key is for this answer alone: no cache, shared or private, keeps it.
    response.headers["Cache-Control"] = "no-store"
    return s.RevealedKey(order_id=order_id, item_id=item_id, card_key=shown.key, first_revealed_at=shown.first_at)


@router.get("/{order_id}/refund-policy", response_model=s.PolicyOut)
def refund_policy(order_id: OrderId, ctx: Ctx, caller: Caller) -> s.PolicyOut:
    """Return the refund policy that applies to this order, with its own deadlines."""
    order = orders.get_order(ctx, caller, order_id)
    policy = policies.current(ctx)
    applied, revealed = reveals.for_rules(ctx, policy, order.id)
    now = ctx.clock.now()
    return present.policy(applied, order, policies.for_order(applied, order, now, revealed), now)


@router.post("/{order_id}/refund-precheck", response_model=s.PrecheckOut)
def refund_precheck(order_id: OrderId, body: s.PrecheckIn, ctx: Ctx, caller: Caller) -> s.PrecheckOut:
    """Predict what a claim would get, with the same rules the decision uses."""
    kinds = tuple(body.evidence_kinds or ())
    prediction = prechecks.precheck(ctx, caller, order_id, body.reason, tuple(body.item_ids or ()), kinds)
    order = orders.get_order(ctx, caller, order_id)
    return present.precheck(prediction, claims.available_routes(ctx, order), ctx.sla.review_hours())
