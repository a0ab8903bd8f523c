"""Image marks: a perceptual hash that survives re-compression, and an editor's name in metadata."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import Image, PngImagePlugin

from tests.support.screens import RedeemError
from tuika.review.forensics import BANDS, SIMILAR_BITS, bands, distance, marks

SCREEN = RedeemError(order_id="ord_f1").render()


def reencoded(png: bytes, scale: float = 1.0, quality: int = 60) -> bytes:
    with Image.open(io.BytesIO(png)) as img:
        size = (round(img.width * scale), round(img.height * scale))
        out = io.BytesIO()
        img.convert("RGB").resize(size).save(out, "JPEG", quality=quality)
        return out.getvalue()


def test_the_hash_is_256_bits_and_the_same_for_the_same_image() -> None:
    first = marks(SCREEN)

    assert len(first.phash) == 64
    assert marks(SCREEN) == first
    assert first.software is None


@pytest.mark.parametrize(("scale", "quality"), [(1.0, 35), (0.75, 60), (0.5, 70), (0.6, 40)])
def test_a_recompressed_or_resized_copy_stays_within_the_similarity_limit(scale: float, quality: int) -> None:
    assert distance(marks(SCREEN).phash, marks(reencoded(SCREEN, scale, quality)).phash) <= SIMILAR_BITS


def test_a_different_screen_is_far() -> None:
    sms = RedeemError(title="订单详情", accent="#ff6a00", order_id="DD99", error_text="充值失败", font_size=40).render()

    assert distance(marks(SCREEN).phash, marks(sms).phash) > 2 * SIMILAR_BITS


def test_near_hashes_share_enough_bands_for_the_index_to_find_them() -> None:
    one = marks(SCREEN).phash
    flipped = f"{int(one, 16) ^ sum(1 << (16 * i + 3) for i in range(SIMILAR_BITS)):064x}"  # 8 bits, 8 bands

    assert distance(one, flipped) == SIMILAR_BITS
    assert len(bands(one)) == BANDS
    assert sum(a == b for a, b in zip(bands(one), bands(flipped), strict=True)) == BANDS - SIMILAR_BITS


def test_an_editors_name_in_png_text_or_exif_is_reported() -> None:
    with Image.open(io.BytesIO(SCREEN)) as img:
        info = PngImagePlugin.PngInfo()
        info.add_text("Software", "Adobe Photoshop 25.0 (Windows)")
        png = io.BytesIO()
        img.save(png, "PNG", pnginfo=info)
        exif = Image.Exif()
        exif[0x0131] = "Meitu 9.6.2"
        jpeg = io.BytesIO()
        img.convert("RGB").save(jpeg, "JPEG", exif=exif.tobytes())

    assert marks(png.getvalue()).software == "Adobe Photoshop 25.0 (Windows)"
    assert marks(jpeg.getvalue()).software == "Meitu 9.6.2"


def test_a_phones_own_screenshot_tag_is_not_an_edit() -> None:
    with Image.open(io.BytesIO(SCREEN)) as img:
        info = PngImagePlugin.PngInfo()
        info.add_text("Software", "Android 14 Screenshot")
        out = io.BytesIO()
        img.save(out, "PNG", pnginfo=info)

    assert marks(out.getvalue()).software is None


def test_capture_times_are_read_as_china_time_and_a_later_save_is_an_edit() -> None:
    with Image.open(io.BytesIO(SCREEN)) as img:
        exif = Image.Exif()
        exif.get_ifd(0x8769)[0x9003] = "2026:11:22 15:30:12"
        exif[0x0132] = "2026:11:22 18:02:00"
        out = io.BytesIO()
        img.convert("RGB").save(out, "JPEG", exif=exif.tobytes())

    found = marks(out.getvalue())

    assert found.captured_at == datetime(2026, 11, 22, 7, 30, 12, tzinfo=UTC)
    assert found.modified_after_capture is True


def test_a_screenshot_without_capture_data_has_none() -> None:
    found = marks(SCREEN)

    assert (found.captured_at, found.modified_after_capture) == (None, False)
