"""Claims with real screenshots: the worker reads them, matches them with the order, and says why."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tests.factories import card_key_for, order_payload
from tests.integration.api import Auth, file_case, push, upload
from tests.integration.test_review_supplier import FakeSupplier
from tests.screens import RedeemError
from tuika.adapters.ocr.paddle import PaddleOcr
from tuika.bootstrap import System

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
