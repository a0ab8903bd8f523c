"""Server-rendered pages for buyers, on the same services as the API: sign-in, orders, an order."""

from __future__ import annotations

from datetime import datetime
from importlib.resources import files
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from tuika.api.auth import TokenExpired, TokenInvalid, verify_token
from tuika.api.deps import system as system_of
from tuika.domain.cases import Role
from tuika.domain.errors import NotFound
from tuika.domain.masking import mask_card_key
from tuika.services import orders, policies
from tuika.services.context import Actor
from tuika.services.ports import OrderFilter
from tuika.web import i18n

SESSION = "tuika_session"
SHANGHAI = ZoneInfo("Asia/Shanghai")

templates = Jinja2Templates(directory=str(files("tuika.web").joinpath("templates")))
router = APIRouter(include_in_schema=False)


def _lang(request: Request) -> i18n.Lang:
    return i18n.pick(request.query_params.get("lang"), request.cookies.get(i18n.COOKIE))


def _buyer(request: Request) -> Actor | None:
    token = request.cookies.get(SESSION)
    if not token:
        return None
    system = system_of(request)
    try:
        principal = verify_token(system.settings.secret_key, token, system.ctx.clock.now())
    except (TokenInvalid, TokenExpired):
        return None
    return Actor(principal.subject, Role.BUYER) if principal.role == Role.BUYER.value else None


def _render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    lang = _lang(request)
    page = templates.TemplateResponse(
        request,
        name,
        {
            "lang": lang,
            "t": lambda key: i18n.text(lang, key),
            "yuan": lambda fen: f"{fen / 100:.2f}",
            "shanghai": lambda at: at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
            "buyer": _buyer(request),
            **context,
        },
        status_code=status,
    )
    if request.query_params.get("lang") in i18n.LANGS:
        page.set_cookie(i18n.COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return page


def _signed_out(request: Request) -> Response:
    return _render(request, "message.html", 401, message=i18n.text(_lang(request), "signed_out"))


@router.get("/sso")
def sign_in(request: Request, token: Annotated[str, Query(max_length=4096)] = "") -> Response:
    """Sign a buyer in with the platform's signed link; the token becomes an HttpOnly session cookie."""
    system = system_of(request)
    now = system.ctx.clock.now()
    try:
        principal = verify_token(system.settings.secret_key, token, now)
    except (TokenInvalid, TokenExpired):
        return _render(request, "message.html", 401, message=i18n.text(_lang(request), "sign_in_failed"))
    if principal.role != Role.BUYER.value:
        return _render(request, "message.html", 403, message=i18n.text(_lang(request), "sign_in_failed"))
    home = RedirectResponse("/", status_code=303)
    # The session lasts as long as the platform's token, and not a second longer.
    remaining = max(0, principal.expires - int(now.timestamp()))
    home.set_cookie(
        SESSION,
        token,
        max_age=remaining,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return home


@router.get("/", response_class=HTMLResponse)
def my_orders(request: Request) -> Response:
    """List the signed-in buyer's orders, newest first."""
    buyer = _buyer(request)
    if buyer is None:
        return _signed_out(request)
    ctx = system_of(request).ctx
    found = orders.list_orders(ctx, buyer, OrderFilter(limit=200))
    found.sort(key=lambda o: o.paid_at, reverse=True)
    return _render(request, "orders.html", orders=found)


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order_page(request: Request, order_id: str) -> Response:
    """Show one order with its card keys (masked until clicked) and the way to a refund."""
    buyer = _buyer(request)
    if buyer is None:
        return _signed_out(request)
    ctx = system_of(request).ctx
    try:
        order = orders.get_order(ctx, buyer, order_id)
    except NotFound:
        return _render(request, "message.html", 404, message=i18n.text(_lang(request), "not_found"))
    shown = orders.view(ctx, buyer, order, reveal=True)
    items = [
        {
            "id": item.id,
            "secret": item.card_key,
            "masked_key": mask_card_key(item.card_key) if item.card_key else None,
            "account": item.account,
        }
        for item in shown.items
    ]
    return _render(request, "order.html", order=order, items=items, held=orders.held_items(ctx, order_id))


@router.get("/orders/{order_id}/policy", response_class=HTMLResponse)
def policy_page(request: Request, order_id: str) -> Response:
    """Show the refund policy for this order as a checklist, with this order's own deadlines."""
    buyer = _buyer(request)
    if buyer is None:
        return _signed_out(request)
    ctx = system_of(request).ctx
    lang = _lang(request)
    try:
        order = orders.get_order(ctx, buyer, order_id)
    except NotFound:
        return _render(request, "message.html", 404, message=i18n.text(lang, "not_found"))
    policy = policies.current(ctx)
    now = ctx.clock.now()
    rows = [
        {
            "rule": row.rule,
            "deadline": row.deadline,
            "open": row.open,
            "fee_fen": row.rule.fee.on(order.amount).fen if row.rule.refundable else 0,
        }
        for row in policies.for_order(policy, order, now)
    ]
    notices = policy.risk_notices_zh if lang == "zh" else policy.risk_notices_en

    def left(deadline: datetime) -> str:
        minutes = max(0, int((deadline - now).total_seconds() // 60))
        if minutes >= 120:
            return i18n.formatted(lang, "hours_left", n=minutes // 60)
        return i18n.formatted(lang, "minutes_left", n=minutes)

    return _render(
        request, "policy.html", order=order, policy=policy, rows=rows, notice=notices.get(order.product_kind), left=left
    )
