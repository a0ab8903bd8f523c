"""Claims with real screenshots: the worker reads them, matches them with the order, and says why."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from tests.support.api import Auth, file_case, push, upload
from tests.support.factories import card_key_for, order_payload
from tests.support.screens import RedeemError, SmsRecord
from tests.support.suppliers import FakeSupplier
from tuika.adapters.ocr.paddle import PaddleOcr
from tuika.bootstrap import System
from tuika.domain.supplier import TopupAnswer, TopupState

pytestmark = pytest.mark.ocr

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def engine() -> PaddleOcr:
    ocr = PaddleOcr()
    ocr.warm_up()
    return ocr


@pytest.fixture
def reading(system: System, engine: PaddleOcr) -> Iterator[FakeSupplier]:
    supplier = FakeSupplier()  # unknown keys are invalid: the supplier would approve
    system.ctx.ocr, system.ctx.supplier = engine, supplier
    yield supplier
    system.ctx.ocr, system.ctx.supplier = None, None


def shown(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def claim_with(client: TestClient, auth: Auth, order_id: str, screen: RedeemError) -> dict[str, Any]:
    evidence = upload(client, auth, data=screen.render())
    body = {"order_id": order_id, "reason": "card_invalid", "evidence_ids": [evidence]}
    return file_case(client, auth, body)


def push_order(client: TestClient, auth: Auth, order_id: str, **extra: Any) -> datetime:
    body = order_payload(order_id, amount_fen=10000, **extra)
    push(client, auth, body)
    return datetime.fromisoformat(body["delivery"]["delivered_at"])


def codes(case: dict[str, Any]) -> list[str]:
    return [c["code"] for c in case["reason_codes"]]


def test_a_screenshot_that_agrees_with_the_order_is_read_and_shown_with_the_key_masked(
    client: TestClient, auth: Auth, reading: FakeSupplier
) -> None:
    delivered = push_order(client, auth, "ord_ocr1")
    screen = RedeemError(order_id="ord_ocr1", card_key=card_key_for("ord_ocr1"), amount="100.00", time=shown(delivered))

    case = claim_with(client, auth, "ord_ocr1", screen)

    assert case["status"] == "refunded"
    read = case["evidence"][0]["read"]
    assert read["engine"] == "faster-paddle small"
    assert [c["code"] for c in read["reason_codes"]] == ["ocr_matches_order"]
    found = {(m["field"], m["code"]) for m in read["matches"]}
    assert {("order_number", "order_number_matches"), ("card_key", "card_key_matches")} <= found
    assert ("amount", "amount_matches_order") in found
    assert "card_used" in read["fields"]["error_texts"]
    assert read["fields"]["card_keys"] == ["ABCD-****-****-NPQR"]
    assert card_key_for("ord_ocr1") not in str(case)
    assert card_key_for("ord_ocr1")[5:9] not in read["text"]
    assert all(0 <= line["box"][0] < line["box"][2] <= 720 for line in read["lines"])


def test_a_screenshot_of_another_order_sends_the_claim_to_a_person(
    client: TestClient, auth: Auth, reading: FakeSupplier
) -> None:
    push_order(client, auth, "ord_ocr_theirs", buyer="buyer_2")
    delivered = push_order(client, auth, "ord_ocr2")
    theirs = card_key_for("ord_ocr_theirs")
    screen = RedeemError(order_id="ord_ocr_theirs", card_key=theirs, amount="100.00", time=shown(delivered))

    case = claim_with(client, auth, "ord_ocr2", screen)

    assert case["status"] == "manual_review"
    assert "evidence_names_other_order" in codes(case)


def test_a_tampered_amount_sends_the_claim_to_a_person_and_never_rejects_it(
    client: TestClient, auth: Auth, reading: FakeSupplier
) -> None:
    delivered = push_order(client, auth, "ord_ocr3")
    screen = RedeemError(order_id="ord_ocr3", card_key=card_key_for("ord_ocr3"), amount="500.00", time=shown(delivered))

    case = claim_with(client, auth, "ord_ocr3", screen)

    assert (case["status"], codes(case)) == ("manual_review", ["ocr_contradicts_order", "supplier_card_invalid"])


def test_a_screenshot_dated_before_the_payment_is_a_contradiction(
    client: TestClient, auth: Auth, reading: FakeSupplier
) -> None:
    push_order(client, auth, "ord_ocr4")
    earlier = datetime.now(UTC) - timedelta(hours=5)
    screen = RedeemError(order_id="ord_ocr4", card_key=card_key_for("ord_ocr4"), amount="100.00", time=shown(earlier))

    case = claim_with(client, auth, "ord_ocr4", screen)

    assert case["status"] == "manual_review"
    assert "screenshot_time_before_payment" in codes(case)


def test_a_carrier_record_showing_the_number_topped_up_keeps_it_masked_in_the_read_the_tables_and_the_logs(
    client: TestClient, auth: Auth, system: System, reading: FakeSupplier, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = order_payload("ord_ocr5", kind="direct_topup", amount_fen=10000, delivery="failed")
    push(client, auth, body)
    reading.topups["ord_ocr5:ord_ocr5_i0"] = TopupAnswer(TopupState.SUCCEEDED, "CMCC-1")
    paid = datetime.fromisoformat(body["paid_at"])
    screen = SmsRecord(order_id="ord_ocr5", phone="13800138000", time=shown(paid + timedelta(minutes=1)))
    evidence = upload(client, auth, data=screen.render(), kind="carrier_record")

    case = file_case(client, auth, {"order_id": "ord_ocr5", "reason": "not_delivered", "evidence_ids": [evidence]})

    read = case["evidence"][0]["read"]
    assert read["fields"]["phones"] == ["138****8000"]
    assert "138****8000" in read["text"].replace("\n", "")
    listed = client.get("/v1/orders", headers=auth("agent", "agent_1")).json()["items"]
    assert [i["account"] for o in listed for i in o["items"]] == ["138****8000"]
    with system.engine.connect() as conn:
        dumps = [repr(conn.execute(text(f"SELECT * FROM {t}")).all()) for t in inspect(conn).get_table_names()]
    for clear in ("13800138000", "1380013", "0138000"):
        assert clear not in str(case), clear
        assert all(clear not in d for d in dumps), clear
        assert clear not in caplog.text, clear
