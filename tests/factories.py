"""Builders of API payloads for tests."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import Engine, text

# Letters OCR does not confuse with digits (no O/0, I/1, S/5, B/8, Z/2), so a drawn key reads back.
_TAG_LETTERS = "ACDEFGHJKLMNPQRTUVWXY"


def card_key_for(order_id: str, n: int = 0) -> str:
    """Return the factory's card key for item ``n`` of ``order_id``: its own in every order, masked the same.

    Real orders never share a key (two that do were delivered one key twice), so neither do
    the factory's; the first and last groups stay fixed, so every mask reads ``ABCD-****-****-NPQR``.
    """
    digest = hashlib.sha256(order_id.encode()).digest()
    tag = "".join(_TAG_LETTERS[b % len(_TAG_LETTERS)] for b in digest[:4])
    return f"ABCD-{tag}-JK{n:02d}-NPQR"


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
                **({"card_key": card_key_for(order_id, n)} if with_key else {"account": "13800138000"}),
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


# ---- helpers for the API integration tests ----

PROBLEM_KEYS = frozenset({"type", "title", "title_zh", "status", "detail", "code"})


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """Assert ``response`` is an application/problem+json error with ``status`` and ``code``; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert (body["status"], body["code"], body["type"]) == (status, code, f"urn:tuika:problem:{code}")
    assert all(isinstance(body[k], str) and body[k] for k in ("title", "title_zh", "detail")), body
    return body


def png_header_bytes(width: int, height: int) -> bytes:
    """Return a PNG whose header claims ``width`` x ``height`` but carries almost no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")


def image_bytes(fmt: str, width: int = 64, height: int = 48) -> bytes:
    """Return a small image in a Pillow format (``PNG``, ``JPEG``, ``WEBP``, ``GIF``)."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(buffer, fmt)
    return buffer.getvalue()


def stored_files(root: Path) -> list[Path]:
    """Return every file under ``root`` (the evidence directory), or [] when it does not exist."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def count_rows(engine: Engine, table: str) -> int:
    """Return how many rows ``table`` holds."""
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def ledger_total(engine: Engine) -> int:
    """Return the sum of every ledger entry in fen: zero in a balanced journal."""
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT COALESCE(SUM(amount_fen), 0) FROM ledger_entries")).scalar_one())


def account_balances(engine: Engine) -> dict[str, int]:
    """Return each ledger account's balance in fen, derived from the entries."""
    query = text("SELECT account, SUM(amount_fen) FROM ledger_entries GROUP BY account")
    with engine.connect() as conn:
        return {account: int(total) for account, total in conn.execute(query)}
