"""Screenshots showing card keys in every spelling, read for real: no stored read, answer or page shows one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.support import keyscan
from tests.support.api import Auth, file_case, push, upload
from tests.support.factories import order_payload
from tests.support.screens import OrderDetail, RedeemError, SmsRecord
from tests.support.suppliers import FakeSupplier
from tests.support.web import sign_in
from tuika.adapters.ocr.paddle import PaddleOcr
from tuika.bootstrap import System

pytestmark = pytest.mark.ocr

# The probe's keys, in the three shapes suppliers use (see tuika_dev.demo.card_key).
DASHED, DIGITS, CAPITALS = "HN4K-M8VB-2CX7-LP9D", "6225881234567890", "ABCDEFGHJKLMNPQRSTUV"


@pytest.fixture(scope="module")
def engine() -> PaddleOcr:
    ocr = PaddleOcr()
    ocr.warm_up()
    return ocr


@pytest.fixture
def reading(system: System, engine: PaddleOcr) -> Iterator[None]:
    system.ctx.ocr, system.ctx.supplier = engine, FakeSupplier()
    yield
    system.ctx.ocr, system.ctx.supplier = None, None


def claim(client: TestClient, auth: Auth, order_id: str, key: str, *screens: Any) -> dict[str, Any]:
    body = order_payload(order_id, items=1)
    body["items"][0]["card_key"] = key
    push(client, auth, body)
    evidence = [upload(client, auth, data=screen.render()) for screen in screens]
    return file_case(client, auth, {"order_id": order_id, "reason": "card_invalid", "evidence_ids": evidence})


def test_no_read_answer_or_page_shows_a_key_in_any_spelling(
    client: TestClient, auth: Auth, system: System, reading: None
) -> None:
    cases = [
        claim(
            client,
            auth,
            "ord_km1",
            DASHED,
            RedeemError(order_id="ord_km1", card_key="HN4K M8VB 2CX7 LP9D"),
            OrderDetail(order_id="ord_km1", card_key="hn4k-m8vb-2cx7-lp9d"),
            # A text message wraps the key run together onto the next line.
            SmsRecord(order_id="HF2611221530128841", card_key="HN4KM8VB2CX7LP9D"),
        ),
        claim(client, auth, "ord_km2", DIGITS, RedeemError(order_id="ord_km2", card_key="6225 8812 3456 7890")),
        claim(client, auth, "ord_km3", CAPITALS, SmsRecord(order_id="HF2611221530128842", card_key=CAPITALS)),
    ]
    ids = [str(c["id"]) for c in cases]
    # Every screenshot was read, and the order number and amount stay readable.
    reads = [e["read"] for c in cases for e in c["evidence"]]
    assert [r is not None for r in reads] == [True] * 5
    assert ["ord_km1" in reads[0]["text"], "ord_km1" in reads[1]["text"], "ord_km2" in reads[3]["text"]] == [True] * 3
    assert [r["fields"]["amounts_fen"][0] for r in reads] == ["10000"] * 5

    shown = {
        f"staff GET /v1/refund-cases/{i}": client.get(f"/v1/refund-cases/{i}", headers=auth("agent", "a_1"))
        for i in ids
    }
    shown |= {
        f"buyer GET /v1/refund-cases/{i}": client.get(f"/v1/refund-cases/{i}", headers=auth("buyer", "buyer_1"))
        for i in ids
    }
    shown["staff GET /v1/review-queue"] = client.get("/v1/review-queue", headers=auth("agent", "a_1"))
    sign_in(client, system, "buyer_1")
    shown |= {f"buyer page /cases/{i}": client.get(f"/cases/{i}") for i in ids}
    sign_in(client, system, "agent_1", "agent")
    shown |= {f"console page /console/cases/{i}": client.get(f"/console/cases/{i}") for i in ids}

    assert {where: r.status_code for where, r in shown.items()} == dict.fromkeys(shown, 200)
    bodies = {where: keyscan.shown(r) for where, r in shown.items()}
    with system.engine.connect() as conn:
        rows = conn.execute(text("SELECT evidence_id, lines, fields, matches FROM evidence_reads")).all()
    assert len(rows) == 5
    bodies |= {f"evidence_reads {r[0]}": "".join(keyscan.strings([keyscan.json_value(c) for c in r[1:]])) for r in rows}
    keys = [DASHED, DIGITS, CAPITALS]
    assert [leak for where, body in bodies.items() for leak in keyscan.leaks(keys, where, body)] == []
