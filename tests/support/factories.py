"""Builders of API payloads for tests."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
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
    return png_of(width, height, zlib.compress(b"\0"))


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """Return one PNG chunk: length, type, data and its CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_of(width: int, height: int, idat: bytes, depth: int = 8, color_type: int = 2) -> bytes:
    """Return a PNG built chunk by chunk, ``idat`` its compressed image data; every CRC is right."""
    header = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def deflated_zeros(size: int) -> bytes:
    """Return a valid zlib stream of ``size`` zero bytes, made in a moment however big ``size`` is."""
    # After a full flush the compressor starts afresh, so one compressed block of zeros can be
    # repeated; the Adler-32 of n zero bytes is (n mod 65521) << 16 | 1.
    block = 1 << 20
    count, rest = divmod(size, block)
    whole = zlib.compressobj(9)
    unit = (whole.compress(bytes(block)) + whole.flush(zlib.Z_FULL_FLUSH))[2:]
    last = zlib.compressobj(9)
    tail = (last.compress(bytes(rest)) + last.flush(zlib.Z_FULL_FLUSH))[2:]
    adler = ((size % 65521) << 16) | 1
    return b"\x78\xda" + unit * count + tail + b"\x03\x00" + struct.pack(">I", adler)


def deep_png(width: int, height: int) -> bytes:
    """Return a valid 16-bit RGBA PNG of ``width`` x ``height`` zero pixels: 8 bytes each once decoded."""
    return png_of(width, height, deflated_zeros(height * (1 + width * 8)), depth=16, color_type=6)


def zip_bytes() -> bytes:
    """Return a small ZIP archive, to append to an image as a polyglot would."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.txt", "not a screenshot")
    return buffer.getvalue()


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


def postings(engine: Engine, *kinds: str) -> int:
    """Return how many ledger postings there are of these kinds (a claim's hold and release move no money)."""
    query = text("SELECT kind FROM ledger_postings")
    with engine.connect() as conn:
        return sum(1 for (kind,) in conn.execute(query) if kind in kinds)


def account_balances(engine: Engine) -> dict[str, int]:
    """Return each ledger account's balance in fen, derived from the entries."""
    query = text("SELECT account, SUM(amount_fen) FROM ledger_entries GROUP BY account")
    with engine.connect() as conn:
        return {account: int(total) for account, total in conn.execute(query)}
