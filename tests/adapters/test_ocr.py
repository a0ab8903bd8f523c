"""The faster-paddle adapter reads generated phone screenshots; the model loads once for the module."""

from __future__ import annotations

import io
import threading

import pytest
from PIL import Image

from tests.support.factories import png_bytes
from tests.support.screens import RedeemError, degrade, fields_found
from tuika.adapters.ocr.paddle import PaddleOcr
from tuika.review.ocr import OcrText, UnreadableImage

pytestmark = pytest.mark.ocr

SCREEN = RedeemError(
    order_id="DD202611221530120731",
    card_key="KM8F-3AQ7-XP2L-VN9D",
    error_code="E1023",
    error_text="卡密已被使用",
    amount="100.00",
)
ALL_FOUND = {"order_id": True, "card_key": True, "amount": True, "error": True}


@pytest.fixture(scope="module")
def ocr() -> PaddleOcr:
    return PaddleOcr()


@pytest.fixture(scope="module")
def clean_png() -> bytes:
    return SCREEN.render()


@pytest.fixture(scope="module")
def clean_read(ocr: PaddleOcr, clean_png: bytes) -> OcrText:
    return ocr.read(clean_png)


def _line_with(read: OcrText, fragment: str) -> tuple[int, int, int, int]:
    matches = [line.box for line in read.lines if fragment in line.text.replace(" ", "")]
    assert len(matches) == 1, read.text
    return matches[0]


def _scaled(png: bytes, factor: float) -> bytes:
    with Image.open(io.BytesIO(png)) as image:
        small = image.resize((round(image.width * factor), round(image.height * factor)))
    buffer = io.BytesIO()
    small.save(buffer, "PNG")
    return buffer.getvalue()


def test_a_clean_screenshot_shows_every_field(clean_read: OcrText) -> None:
    assert fields_found(clean_read.text, SCREEN) == ALL_FOUND
    assert "E1023" in clean_read.text


def test_a_forwarded_screenshot_still_shows_every_field(ocr: PaddleOcr) -> None:
    read = ocr.read(degrade(SCREEN.render(), seed=1))

    assert fields_found(read.text, SCREEN) == ALL_FOUND


def test_another_orders_screenshot_does_not_match(clean_read: OcrText) -> None:
    other = RedeemError(order_id="DD202611229999999999", card_key="ZZ22-YY33-XX44-WW55", amount="50.00")

    assert fields_found(clean_read.text, other) == {
        "order_id": False,
        "card_key": False,
        "amount": False,
        "error": True,
    }


def test_boxes_are_integer_pixels_inside_the_image(clean_read: OcrText) -> None:
    assert len(clean_read.lines) >= 10
    for line in clean_read.lines:
        left, top, right, bottom = line.box
        assert all(isinstance(value, int) for value in line.box)
        assert 0 <= left < right <= 720
        assert 0 <= top < bottom <= 1280
        assert 0.0 <= line.confidence <= 1.0
    # The order id row is drawn at y=386 with a 30 px font.
    _, top, _, bottom = _line_with(clean_read, SCREEN.order_id)
    assert 376 <= top <= 396
    assert 410 <= bottom <= 434


def test_boxes_are_in_the_coordinates_of_the_uploaded_image(ocr: PaddleOcr, clean_read: OcrText) -> None:
    half = ocr.read(_scaled(SCREEN.render(), 0.5))

    full_box = _line_with(clean_read, SCREEN.order_id)
    half_box = _line_with(half, SCREEN.order_id)
    assert all(abs(h - f / 2) <= 6 for h, f in zip(half_box, full_box, strict=True)), (half_box, full_box)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"this is not an image",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
        png_bytes()[:200],
        b"\xff\xd8\xff\xe0" + b"\x00" * 300,
    ],
    ids=["empty", "text", "png-magic-only", "truncated-png", "jpeg-magic-only"],
)
def test_bytes_that_are_not_an_image_raise_unreadable_image(ocr: PaddleOcr, data: bytes) -> None:
    with pytest.raises(UnreadableImage):
        ocr.read(data)


def test_the_engine_reads_on_after_unreadable_bytes(ocr: PaddleOcr, clean_png: bytes, clean_read: OcrText) -> None:
    with pytest.raises(UnreadableImage):
        ocr.read(clean_png[: len(clean_png) // 2])

    assert ocr.read(clean_png) == clean_read


def test_an_image_over_the_pixel_limit_is_refused_before_the_model_loads() -> None:
    ocr = PaddleOcr(max_pixels=100 * 100)

    with pytest.raises(UnreadableImage, match="pixels"):
        ocr.read(png_bytes(width=101, height=100))
    assert not ocr.loaded


def test_only_bundled_models_are_accepted() -> None:
    with pytest.raises(ValueError, match="model_size"):
        PaddleOcr(model_size="medium")  # type: ignore[arg-type]


def test_warm_up_loads_the_model_and_reads_a_drawn_image() -> None:
    ocr = PaddleOcr(threads=1)

    ocr.warm_up()

    assert ocr.loaded


def test_concurrent_first_reads_agree(clean_png: bytes, clean_read: OcrText) -> None:
    ocr = PaddleOcr(threads=2)
    results: list[OcrText] = []
    barrier = threading.Barrier(3)

    def read() -> None:
        barrier.wait()
        results.append(ocr.read(clean_png))

    threads = [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [result.text for result in results] == [clean_read.text] * 3


def test_engines_share_the_threads_and_never_go_below_one() -> None:
    assert PaddleOcr(threads=2, engines=2).threads_each == 1
    assert PaddleOcr(threads=8, engines=3).threads_each == 2
    assert PaddleOcr(threads=1, engines=4).threads_each == 1
    with pytest.raises(ValueError, match="engines"):
        PaddleOcr(engines=0)


def test_reads_at_once_get_engines_of_their_own_up_to_the_limit(clean_png: bytes, clean_read: OcrText) -> None:
    ocr = PaddleOcr(threads=2, engines=2)
    results: list[OcrText] = []
    barrier = threading.Barrier(4)

    def read() -> None:
        barrier.wait()
        results.append(ocr.read(clean_png))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Four reads at once on two engines: two built, the other reads waited for them.
    assert ocr.built == 2
    assert [result.text for result in results] == [clean_read.text] * 4


def test_warm_up_builds_every_engine_once() -> None:
    ocr = PaddleOcr(threads=2, engines=2)

    ocr.warm_up()
    ocr.warm_up()

    assert ocr.built == 2
