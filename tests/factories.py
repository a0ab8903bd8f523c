"""Builders of API payloads for tests."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image


def order_payload(
    order_id: str = "ord_1",
    *,
    buyer: str = "buyer_1",
    kind: str = "card_key",
    items: int = 1,
    amount_fen: int = 10000,
    route: str = "alipay",
    delivery: str = "delivered",
    paid_ago: timedelta = timedelta(hours=1),
    delivered_after: timedelta = timedelta(minutes=1),
    **overrides: Any,
) -> dict[str, Any]:
    """Return a POST /v1/orders body; card keys for key kinds, accounts for top-ups."""
    paid_at = datetime.now(UTC) - paid_ago
    with_key = kind in ("card_key", "membership")
    body: dict[str, Any] = {
        "id": order_id,
        "buyer_id": buyer,
        "merchant_id": "merchant_1",
        "supplier_id": "supplier_1",
        "sku": "JD-100",
        "title": "京东E卡 100元",
        "product_kind": kind,
        "items": [
            {
                "id": f"{order_id}_i{n}",
                **({"card_key": f"ABCD-EFGH-JK{n:02d}-NPQR"} if with_key else {"account": "13800138000"}),
            }
            for n in range(items)
        ],
        "amount_fen": amount_fen,
        "payment": {"route": route, "transaction_id": f"tx_{order_id}"},
        "paid_at": paid_at.isoformat(),
        "delivery": {
            "status": delivery,
            "delivered_at": (paid_at + delivered_after).isoformat() if delivery == "delivered" else None,
        },
    }
    body.update(overrides)
    return body


def png_bytes(width: int = 320, height: int = 640, color: str = "white") -> bytes:
    """Return a small PNG made now."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()
