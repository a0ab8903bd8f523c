"""The real-world screenshot corpus: drawn the same from the same seed, labelled with what it shows, scored fairly.

No OCR runs here: the scoring is fed text as an engine would return it.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from tuika.review.ocr import OcrLine, OcrText
from tuika_dev.bench.ocrcorpus import LAYOUTS, Layout, Sample, corpus, face, layout
from tuika_dev.bench.ocrcorpus.values import beijing, yuan
from tuika_dev.bench.ocrscore import expected_order, review_read, score

WQY = (face("wqy-microhei"),)
# What each layout must label (chat_forward carries the labels of the screen inside it).
SHOWN = {
    "alipay_bill": {"order_number", "trade_number", "amount_fen", "time"},
    "wechat_bill": {"order_number", "trade_number", "amount_fen", "time"},
    "game_redeem": {"card_key", "error_code", "error_text"},
    "desktop_error": {"card_key", "error_code", "error_text"},
    "shop_order_below": {"order_number", "amount_fen", "card_key", "time"},
    "shop_order_after": {"order_number", "amount_fen", "card_key", "time"},
    "card_site_result": {"card_key", "amount_fen", "error_text", "time"},
}


def _images(samples: list[Sample]) -> list[bytes]:
    return [s.image for s in samples]


def test_the_same_seed_draws_the_same_screenshots_and_another_seed_others() -> None:
    two = (layout("alipay_bill"), layout("chat_forward"))

    first = list(corpus(1, seed=3, layouts=two, faces=WQY))
    again = list(corpus(1, seed=3, layouts=two, faces=WQY))
    other = list(corpus(1, seed=4, layouts=two, faces=WQY))

    assert _images(first) == _images(again)
    assert [s.label() for s in first] == [s.label() for s in again]
    assert not set(_images(first)) & set(_images(other))


@pytest.mark.parametrize("shown", LAYOUTS, ids=lambda x: x.name)
def test_each_screen_comes_clean_as_a_png_and_degraded_as_a_jpeg_labelled_with_its_fields(shown: Layout) -> None:
    clean, degraded = corpus(1, seed=11, layouts=(shown,), faces=WQY)

    with Image.open(io.BytesIO(clean.image)) as png, Image.open(io.BytesIO(degraded.image)) as jpeg:
        assert (png.format, png.size) == ("PNG", clean.screen)
        assert jpeg.format == "JPEG"
        assert jpeg.width < png.width
    assert (clean.degraded, clean.steps) == (False, ())
    assert degraded.degraded
    assert any(step.startswith("jpeg") for step in degraded.steps)
    assert clean.truth == degraded.truth
    labelled = set(clean.truth.shown())
    expected = SHOWN.get(clean.layout)
    if expected is None:
        assert clean.truth.note.startswith("inside: ")
        assert labelled
    else:
        assert expected <= labelled


def test_the_values_look_like_the_platforms_own() -> None:
    samples = list(corpus(3, seed=5, layouts=(layout("alipay_bill"), layout("wechat_bill")), faces=WQY))

    for s in samples:
        trade = s.truth.trade_number or ""
        assert re.fullmatch(r"\d{28}", trade)
        assert trade.startswith("4200") if s.layout == "wechat_bill" else trade[8:13] == "22001"
        assert not s.purchase.order_number.startswith(("ord_", "bench_"))
        assert s.truth.time is not None
        assert s.truth.time.utcoffset() is not None
        assert s.purchase.paid_at <= s.purchase.delivered_at <= s.purchase.redeemed_at


def _text(*lines: str) -> OcrText:
    return OcrText(tuple(OcrLine(line, (0, 0, 10, 10), 0.99) for line in lines))


def _bill() -> Sample:
    return next(iter(corpus(1, seed=2, layouts=(layout("alipay_bill"),), faces=WQY)))


def test_a_bill_read_whole_is_right_field_by_field() -> None:
    bill = _bill()
    truth, order_keys = bill.truth, expected_order(bill.purchase)
    assert truth.time is not None
    assert truth.amount_fen is not None
    text = _text(
        f"订单号：{truth.trade_number}",
        f"商家订单号：{truth.order_number}",
        f"金额：¥{yuan(truth.amount_fen)}",
        f"{beijing(truth.time):%Y-%m-%d %H:%M:%S}",
    )

    scored = score(bill, text, *review_read(text, *order_keys))

    assert {name: v.right for name, v in scored.verdicts.items()} == {
        "order_number": True,
        "trade_number": True,
        "amount": True,
        "time": True,
    }
    assert scored.right


def test_another_orders_number_or_another_amount_is_a_doubt_and_the_screenshot_is_not_right() -> None:
    bill = _bill()
    order_keys = expected_order(bill.purchase)
    text = _text("订单号：KM2026110100000000000001", "金额：¥1.00")

    scored = score(bill, text, *review_read(text, *order_keys))

    assert scored.doubts == {"order_number", "amount"}
    assert not scored.verdicts["order_number"].found
    assert not scored.verdicts["order_number"].in_text
    assert scored.verdicts["order_number"].why() == "not found: OCR misread or lost it"
    assert not scored.right
