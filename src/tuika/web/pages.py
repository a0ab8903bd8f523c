"""Server-rendered pages for buyers, on the same services as the API: orders, an order, its policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from tuika.domain.errors import CardKeyNotFound, NotFound
from tuika.domain.ids import OrderId
from tuika.domain.reveals import Channel
from tuika.http.deps import asker
from tuika.http.deps import system as system_of
from tuika.services.claims import policies
from tuika.services.claims.policies import WindowState
from tuika.services.context import Actor
from tuika.services.orders import orders, reveals
from tuika.services.ports import OrderFilter
from tuika.web import i18n
from tuika.web.session import Buyer, CsrfChecked, lang_of, message, render, session_key, shanghai

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def my_orders(request: Request, buyer: Buyer) -> Response:
    """List the signed-in buyer's orders, newest first."""
    ctx = system_of(request).ctx
    found = orders.list_orders(ctx, buyer, OrderFilter(limit=200))
    found.sort(key=lambda o: o.paid_at, reverse=True)
    return render(request, "orders.html", orders=found)


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order_page(request: Request, order_id: OrderId, buyer: Buyer) -> Response:
    """Show one order with its card keys masked and the way to a refund."""
    return _order(request, order_id, buyer)


@router.post("/orders/{order_id}/keys/{item_id}", response_class=HTMLResponse)
def reveal_key(request: Request, order_id: OrderId, item_id: str, buyer: Buyer, _: CsrfChecked) -> Response:
    """Reveal one card key to its buyer, logged first: as JSON to the page's script, or the page with that key shown.

    The key is in no page until the buyer asks for it here, so it is never in a cached page, a
    saved page or a page's source; a POST with the session's CSRF token, so no other site can ask.
    The reveal is the API's (``reveals.reveal``), named by this page session.
    """
    ctx = system_of(request).ctx
    wants_json = "application/json" in request.headers.get("accept", "")
    key = session_key(request)
    assert key is not None  # the buyer is signed in by this cookie
    try:
        shown = reveals.reveal(ctx, buyer, order_id, item_id, asker(request, Channel.PAGE, key))
    except CardKeyNotFound as exc:
        if wants_json:
            return _no_store(JSONResponse({"code": exc.code}, status_code=404))
        return _order(request, order_id, buyer, missing=True)
    if wants_json:
        seen = i18n.formatted(lang_of(request), "first_seen", at=shanghai(shown.first_at))
        return _no_store(JSONResponse({"key": shown.key, "seen": seen}))
    return _no_store(_order(request, order_id, buyer, shown=(item_id, shown.key)))


def _order(
    request: Request, order_id: OrderId, buyer: Actor, *, shown: tuple[str, str] | None = None, missing: bool = False
) -> Response:
    ctx = system_of(request).ctx
    try:
        order = orders.get_order(ctx, buyer, order_id)
    except NotFound:
        return message(request, 404, "not_found")
    if missing:
        return message(request, 404, "key_not_found")
    viewed = orders.view(ctx, buyer, order, accounts=True).items
    held = orders.held_items(ctx, order_id)
    seen = [i.id for i in viewed if i.first_revealed_at is not None]
    warned = reveals.warned(ctx, order, seen, list(held))
    items = [
        {
            "id": item.id,
            "masked_key": item.card_key,
            "revealed": shown[1] if shown is not None and item.id == shown[0] else None,
            "account": item.account,
            "first_seen": item.first_revealed_at,
            "warned": item.id in warned,
        }
        for item in viewed
    ]
    return render(request, "order.html", order=order, items=items, held=held)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/orders/{order_id}/policy", response_class=HTMLResponse)
def policy_page(request: Request, order_id: OrderId, buyer: Buyer) -> Response:
    """Show the refund policy for this order as a checklist, with this order's own deadlines."""
    ctx = system_of(request).ctx
    lang = lang_of(request)
    try:
        order = orders.get_order(ctx, buyer, order_id)
    except NotFound:
        return message(request, 404, "not_found")
    policy = policies.current(ctx)
    applied, revealed = reveals.for_rules(ctx, policy, order.id)
    now = ctx.clock.now()
    rows = [
        {
            "rule": row.rule,
            "deadline": row.deadline,
            "state": row.state,
            "why": i18n.ruled_out(lang, row.why) if row.state is WindowState.NOT_APPLICABLE else "",
            "fee_fen": row.rule.fee.on(order.amount).fen if row.rule.refundable else 0,
            "unrevealed_until": row.unrevealed_until,
        }
        for row in policies.for_order(applied, order, now, revealed)
    ]
    notices = policy.risk_notices_zh if lang == "zh" else policy.risk_notices_en
    held = orders.held_items(ctx, order_id)
    all_held = bool(order.items) and all(item.id in held for item in order.items)
    return render(
        request,
        "policy.html",
        order=order,
        policy=policy,
        rows=rows,
        notice=notices.get(order.product_kind),
        left=lambda deadline: i18n.time_left(lang, (deadline - now).total_seconds()),
        can_claim=not all_held and any(row["state"] is WindowState.OPEN for row in rows),
        all_held=all_held,
        moments=_moments(lang, order.paid_at, order.delivered_at, rows, now),
    )


def _moments(
    lang: i18n.Lang, paid: datetime, delivered: datetime | None, rows: list[dict[str, Any]], now: datetime
) -> list[dict[str, Any]]:
    """Return the order's own timeline: paid, delivered, now, and when each refund window closes."""
    moments: list[dict[str, Any]] = [{"at": paid, "label": i18n.text(lang, "paid_at"), "kind": "fact"}]
    if delivered is not None:
        moments.append({"at": delivered, "label": i18n.text(lang, "delivered_at"), "kind": "fact"})
    for row in rows:
        # A rule the order's record rules out has no deadline for this order.
        if row["deadline"] is not None and row["state"] in (WindowState.OPEN, WindowState.CLOSED):
            title = row["rule"].title_zh if lang == "zh" else row["rule"].title_en
            label = i18n.formatted(lang, "window_of", title=title)
            kind = "open" if row["state"] is WindowState.OPEN else "closed"
            moments.append({"at": row["deadline"], "label": label, "kind": kind})
    moments.sort(key=lambda m: m["at"])
    position = sum(1 for m in moments if m["at"] <= now)
    moments.insert(position, {"at": now, "label": i18n.text(lang, "now"), "kind": "now"})
    return moments
