"""A few claims already waiting for a person when the demo starts, so the console has work to show.

Three buyers ask about a key under "其他问题", each with a screenshot of the order; the third
sends the first one's screenshot again, which the console shows as a reused screenshot naming
the first claim. The machine reviews them as it would any claim and hands them to an agent.
"""

from __future__ import annotations

import io
from typing import Final

from PIL import Image, ImageDraw

from tuika.domain.cases import Case, Role, Route
from tuika.domain.clock import SHANGHAI
from tuika.domain.orders import DeliveryStatus, Order, ProductKind
from tuika.domain.policy import EvidenceKind, Reason
from tuika.services.claims import evidence, filing
from tuika.services.context import Actor, Context
from tuika.services.ports import OrderFilter
from tuika.services.review.machine import machine_review

WAITING: Final = 3
_ASKED: Final = "卡密显示已被使用，但我没有用过，请核实。"


def seed_claims(ctx: Context) -> list[Case]:
    """File and review the demo's waiting claims on delivered card-key orders of different buyers."""
    with ctx.read() as uow:
        found = uow.orders.search(OrderFilter(limit=200))
    chosen: dict[str, Order] = {}
    for order in sorted(found, key=lambda o: o.id):
        if (
            order.product_kind is ProductKind.CARD_KEY
            and order.delivery_status is DeliveryStatus.DELIVERED
            and order.buyer_id not in chosen
        ):
            chosen[order.buyer_id] = order
        if len(chosen) == WAITING:
            break
    cases: list[Case] = []
    first_shot: bytes | None = None
    for n, (buyer_id, order) in enumerate(chosen.items()):
        buyer = Actor(buyer_id, Role.BUYER)
        shot = order_screenshot(order) if n < WAITING - 1 or first_shot is None else first_shot
        first_shot = first_shot or shot
        record = evidence.upload(ctx, buyer, shot, EvidenceKind.ORDER_SCREENSHOT)
        request = filing.ClaimRequest(
            order_id=order.id,
            reason=Reason.OTHER,
            item_ids=(order.items[0].id,),
            description=_ASKED,
            evidence_ids=(record.id,),
            route=Route.BALANCE,
        )
        filed = filing.submit(ctx, buyer, request, None)
        cases.append(machine_review(ctx, filed.case.id))
    return cases


def order_screenshot(order: Order) -> bytes:
    """Return a plain phone-sized picture of the order page (Latin text: no font is shipped).

    The time is drawn as a phone in China shows it, in Beijing time, which is how the review reads it.
    """
    image = Image.new("RGB", (720, 1280), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 720, 110), fill=(22, 119, 255))
    draw.text((40, 40), "Order detail", fill="white", font_size=40)
    lines = (
        f"Order no: {order.id}",
        f"Item: {order.sku}",
        f"Paid: {order.amount.yuan()} CNY",
        f"Time: {order.paid_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}",
        "Status: delivered",
    )
    for row, line in enumerate(lines):
        draw.text((40, 180 + row * 80), line, fill="black", font_size=34)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
