"""In the demo, a screenshot of a failed redeem drawn for the buyer's own order, to attach to a claim.

A newcomer walking through the pages has no screenshot of a failed key at hand, and an example
made for another order is rightly doubted (it names another order, and it backs another claim
once used twice). The claim page links this one in the demo: it shows this order's number and
key as a redeem site in China would, in Beijing time, so the review reads it as it reads a
buyer's own.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, FastAPI, Request, Response

from tuika.domain.cases import Role
from tuika.domain.clock import SHANGHAI
from tuika.domain.errors import TokenRejected
from tuika.domain.ids import OrderId
from tuika.http.auth import verify_token
from tuika.services.context import Actor
from tuika.services.orders.keys import card_key
from tuika.web.session import ctx_of, signed_in
from tuika_dev.bench.claimset import screens_module

router = APIRouter(include_in_schema=False)
EXAMPLES = "/demo/examples/{order_id}.png"


def install(app: FastAPI) -> None:
    """Serve the examples, and tell the claim page it may offer them."""
    app.include_router(router)
    app.state.example_screenshot = EXAMPLES


@router.get(EXAMPLES)
def example(request: Request, order_id: OrderId, item: str | None = None) -> Response:
    """Return a redeem error for a key of the signed-in buyer's order; anyone else's is not found."""
    actor = _caller(request)
    ctx = ctx_of(request)
    with ctx.read() as uow:
        order = uow.orders.get(order_id)
    if actor is None or actor.role is not Role.BUYER or order is None or order.buyer_id != actor.subject:
        return Response(status_code=404)
    keyed = [i for i in order.items if i.secret is not None and (item is None or i.id == item)]
    if not keyed:
        return Response(status_code=404)
    chosen = keyed[0]
    screen = screens_module().RedeemError(
        order_id=order.id,
        card_key=card_key(ctx, order, chosen),
        error_code="E2001",
        error_text="卡密无效",
        amount=order.amount_for((chosen.id,)).yuan(),
        time=f"{datetime.now(UTC).astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}",
        product=order.title or order.sku,
        title="卡密兑换",
    )
    headers = {
        "Content-Disposition": f'attachment; filename="{order.id}-redeem-error.png"',
        "Cache-Control": "no-store",
    }
    return Response(screen.render(), media_type="image/png", headers=headers)


def _caller(request: Request) -> Actor | None:
    """Return the page session's buyer, or the bearer token's (the README's tour uses curl)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return signed_in(request)
    settings = request.app.state.system.settings
    try:
        principal = verify_token(settings.secret_key, token.strip(), ctx_of(request).clock.now())
    except TokenRejected:
        return None
    return Actor(principal.subject, Role(principal.role))
