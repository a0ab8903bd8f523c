"""With a quick engine configured, its read stands only when it settles the screenshot; else the thorough one reads."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.support.api import Auth, file_case, push, upload
from tests.support.factories import card_key_for, order_payload
from tests.support.suppliers import FakeSupplier
from tuika.adapters.ocr.paddle import PaddleOcr
from tuika.bootstrap import System, build
from tuika.review.ocr import OcrLine, OcrText, UnreadableImage
from tuika.settings import Settings


class Scripted:
    """An engine that reads whatever text it is given for every image, and counts its reads."""

    def __init__(self, engine: str, text: str | None, confidence: float = 0.99) -> None:
        self.engine = engine
        self.text = text
        self.confidence = confidence
        self.reads = 0

    def read(self, image: bytes) -> OcrText:
        self.reads += 1
        if self.text is None:
            raise UnreadableImage("the engine gave up")
        lines = self.text.splitlines()
        return OcrText(tuple(OcrLine(t, (0, 40 * n, 600, 40 * n + 30), self.confidence) for n, t in enumerate(lines)))

    def warm_up(self) -> None:
        return None


ORDER = "ord_two_pass"
KEY = card_key_for(ORDER, 0)
THIS_ORDER = f"兑换失败\n卡密：{KEY}\n卡密无效，请核对后重试"


@pytest.fixture
def engines(system: System, client: TestClient, auth: Auth) -> Iterator[None]:
    push(client, auth, order_payload(ORDER))
    system.ctx.supplier = FakeSupplier()
    yield
    system.ctx.ocr = system.ctx.quick_ocr = system.ctx.supplier = None


def claim(client: TestClient, auth: Auth) -> dict[str, object]:
    body = {"order_id": ORDER, "reason": "card_invalid", "evidence_ids": [upload(client, auth)]}
    case = file_case(client, auth, body)
    [evidence] = case["evidence"]
    read: dict[str, object] = evidence["read"]
    return read


def test_a_quick_read_that_shows_this_orders_key_stands(
    client: TestClient, auth: Auth, system: System, engines: None
) -> None:
    quick, thorough = Scripted("quick", THIS_ORDER), Scripted("thorough", THIS_ORDER)
    system.ctx.quick_ocr, system.ctx.ocr = quick, thorough

    read = claim(client, auth)

    assert (read["engine"], quick.reads, thorough.reads) == ("quick", 1, 0)
    assert [c["code"] for c in read["reason_codes"]] == ["ocr_matches_order"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "quick_text",
    [
        "兑换失败\n卡密无效",  # nothing ties the screen to this order
        "兑换失败\n卡密：ZZZZ-YYYY-XXXX-WWWW\n卡密无效",  # a key that is not this order's
        f"卡密：{KEY}\n2020-01-01 10:00:00",  # this order's key, but a time before the payment
        None,  # the quick engine could not read it
        "订单号：ord_two_pasz\n卡密无效",  # this order's number only thanks to the tolerance
    ],
)
def test_a_quick_read_that_does_not_settle_it_is_read_again_thoroughly(
    client: TestClient, auth: Auth, system: System, engines: None, quick_text: str | None
) -> None:
    # Unsure of every line, as a cheaper engine often is: the tolerance would forgive a misread.
    quick, thorough = Scripted("quick", quick_text, confidence=0.9), Scripted("thorough", THIS_ORDER)
    system.ctx.quick_ocr, system.ctx.ocr = quick, thorough

    read = claim(client, auth)

    assert (read["engine"], quick.reads, thorough.reads) == ("thorough", 1, 1)
    assert [c["code"] for c in read["reason_codes"]] == ["ocr_matches_order"]  # type: ignore[attr-defined]


def test_what_the_thorough_engine_reads_against_the_order_stands_whatever_the_quick_one_said(
    client: TestClient, auth: Auth, system: System, engines: None
) -> None:
    quick = Scripted("quick", "兑换失败")
    thorough = Scripted("thorough", "卡密：ZZZZ-YYYY-XXXX-WWWW\n卡密无效")
    system.ctx.quick_ocr, system.ctx.ocr = quick, thorough

    read = claim(client, auth)

    assert read["engine"] == "thorough"
    assert [c["code"] for c in read["reason_codes"]] == ["ocr_contradicts_order"]  # type: ignore[attr-defined]


def test_the_setting_builds_both_engines(settings: Settings) -> None:
    two_pass = build(
        settings.model_copy(update={"ocr_engine": "paddle-tiny-first", "ocr_det_max_side": 900}), queue=False
    )
    one = build(settings.model_copy(update={"ocr_engine": "paddle-small"}), queue=False)
    try:
        thorough, quick = two_pass.ctx.ocr, two_pass.ctx.quick_ocr
        assert isinstance(thorough, PaddleOcr)
        assert isinstance(quick, PaddleOcr)
        assert (thorough.engine, quick.engine, quick.det_max_side) == ("faster-paddle small", "faster-paddle tiny", 900)
        assert (thorough.loaded, quick.loaded) == (False, False)  # a process that never reviews never loads them
        assert one.ctx.quick_ocr is None
    finally:
        two_pass.engine.dispose()
        one.engine.dispose()
