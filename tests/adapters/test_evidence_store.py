import hashlib
import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from tests.support.factories import deep_png, png_chunk, png_of, zip_bytes
from tuika.adapters.evidence_store import EvidenceStore, StoredFile
from tuika.domain.errors import (
    EvidenceAnimated,
    EvidenceCorrupt,
    EvidenceRejected,
    EvidenceTooLarge,
    EvidenceTooLargeDecoded,
    EvidenceTooManyPixels,
    EvidenceTypeNotAllowed,
)
from tuika.review.forensics import marks
from tuika.settings import Settings

MB = 1024 * 1024
DECODED = 128 * MB


def _busy(size: tuple[int, int] = (64, 48)) -> Image.Image:
    width, height = size
    # A busy deterministic pattern, so lossy encoders produce a multi-block stream.
    return Image.frombytes("RGB", size, bytes((i * 7 + i // 5) % 256 for i in range(width * height * 3)))


def _image_bytes(fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    _busy(size).save(out, fmt)
    return out.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """Return a tiny PNG whose IHDR (with a valid CRC) claims the given size."""
    data = bytearray(_image_bytes("PNG", (1, 1)))
    ihdr = bytes(data[12:16]) + struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(ihdr))
    return bytes(data)


def _raw_rows(width: int, height: int) -> bytes:
    """Return the unfiltered scanlines of an RGB image: a filter byte 0, then the pixels, per row."""
    return b"".join(b"\0" + bytes((x + y) % 256 for x in range(width * 3)) for y in range(height))


def _deep_header(width: int, height: int) -> bytes:
    return png_of(width, height, b"\x78\x9c" + b"\xff" * 64, depth=16, color_type=6)


def _rgba_header(width: int, height: int) -> bytes:
    return png_of(width, height, b"\x78\x9c" + b"\xff" * 64, depth=8, color_type=6)


def _animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (32, 32), colour) for colour in ("red", "blue")]
    out = io.BytesIO()
    frames[0].save(out, fmt, save_all=True, append_images=frames[1:])
    return out.getvalue()


def _files_under(root: Path) -> list[str]:
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "evidence"


@pytest.fixture
def store(root: Path) -> EvidenceStore:
    return EvidenceStore(root, max_bytes=10 * MB, max_pixels=40_000_000, max_decoded_bytes=DECODED)


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")],
)
def test_allowed_image_is_stored_under_its_hash(store: EvidenceStore, root: Path, fmt: str, content_type: str) -> None:
    data = _image_bytes(fmt)
    sha = hashlib.sha256(data).hexdigest()

    stored = store.save(data)

    assert stored == StoredFile(
        sha256=sha,
        content_type=content_type,
        size=len(data),
        width=64,
        height=48,
        path=root / sha[:2] / sha[2:4] / sha,
    )
    assert stored.path.read_bytes() == data
    assert store.open(sha) == data
    assert _files_under(root) == [f"{sha[:2]}/{sha[2:4]}/{sha}"]


def test_saving_the_same_content_twice_is_idempotent(store: EvidenceStore, root: Path) -> None:
    data = _image_bytes("PNG")

    first = store.save(data)
    second = store.save(data)

    assert second == first
    assert _files_under(root) == [f"{first.sha256[:2]}/{first.sha256[2:4]}/{first.sha256}"]


def test_size_limit_is_inclusive(root: Path) -> None:
    data = _image_bytes("PNG")
    store = EvidenceStore(root, max_bytes=len(data), max_pixels=40_000_000, max_decoded_bytes=DECODED)

    assert store.save(data).size == len(data)


def test_pixel_limit_is_inclusive(root: Path) -> None:
    store = EvidenceStore(root, max_bytes=10 * MB, max_pixels=64 * 48, max_decoded_bytes=DECODED)

    assert store.save(_image_bytes("JPEG")).width == 64


def _rejection_cases() -> list[tuple[str, bytes, int, int, type[EvidenceRejected]]]:
    png = _image_bytes("PNG")
    jpeg = _image_bytes("JPEG")
    webp = _image_bytes("WEBP")
    raw = _raw_rows(64, 48)
    big_1bit = io.BytesIO()
    Image.new("1", (8000, 8000)).save(big_1bit, "PNG")
    limit = 10 * MB
    return [
        ("text", "退款理由：卡密无效\n".encode(), limit, 40_000_000, EvidenceTypeNotAllowed),
        ("gif", _image_bytes("GIF"), limit, 40_000_000, EvidenceTypeNotAllowed),
        ("empty", b"", limit, 40_000_000, EvidenceTypeNotAllowed),
        ("oversize", png, len(png) - 1, 40_000_000, EvidenceTooLarge),
        # Size is checked first: a big file is refused before anything looks at its content.
        ("oversize text", b"x" * 101, 100, 40_000_000, EvidenceTooLarge),
        ("64M-pixel 1-bit png", big_1bit.getvalue(), limit, 40_000_000, EvidenceTooManyPixels),
        ("one pixel over", jpeg, limit, 64 * 48 - 1, EvidenceTooManyPixels),
        # Past Pillow's own bomb limit the header alone triggers DecompressionBombError.
        ("forged 20000x20000", _png_claiming(20000, 20000), limit, 10**12, EvidenceTooManyPixels),
        ("truncated png", png[: len(png) // 2], limit, 40_000_000, EvidenceCorrupt),
        ("truncated jpeg", jpeg[: len(jpeg) - 200], limit, 40_000_000, EvidenceCorrupt),
        ("truncated webp", webp[: len(webp) // 2], limit, 40_000_000, EvidenceCorrupt),
        ("png magic only", png[:8] + b"\x00" * 64, limit, 40_000_000, EvidenceCorrupt),
        ("png without IEND", png[:-12], limit, 40_000_000, EvidenceCorrupt),
        # Every chunk's CRC is right in these: only the compressed image data is broken.
        ("png idat not zlib", png_of(64, 48, b"\x78\x9c" + b"\x13\x37" * 50), limit, 40_000_000, EvidenceCorrupt),
        ("png idat cut short", png_of(64, 48, zlib.compress(raw)[:-30]), limit, 40_000_000, EvidenceCorrupt),
        (
            "png idat ends early",
            png_of(64, 48, zlib.compress(raw[: len(raw) // 2])),
            limit,
            40_000_000,
            EvidenceCorrupt,
        ),
        ("png idat too long", png_of(64, 48, zlib.compress(raw + raw[:193])), limit, 40_000_000, EvidenceCorrupt),
        ("png idat trailing", png_of(64, 48, zlib.compress(raw) + b"PK\x03\x04"), limit, 40_000_000, EvidenceCorrupt),
        ("png bad filter", png_of(64, 48, zlib.compress(b"\x07" + raw[1:])), limit, 40_000_000, EvidenceCorrupt),
        ("jpeg without EOI", jpeg[:-2], limit, 40_000_000, EvidenceCorrupt),
        (
            "webp riff size past end",
            webp[:4] + struct.pack("<I", len(webp)) + webp[8:],
            limit,
            40_000_000,
            EvidenceCorrupt,
        ),
        # 39,992,976 pixels, under the pixel limit, in 316 KB: 320 MB once inflated.
        ("16-bit rgba 6324x6324", deep_png(6324, 6324), limit, 40_000_000, EvidenceTooLargeDecoded),
        # The same header over garbage: refused for its size, so nothing was inflated first.
        ("16-bit rgba header only", _deep_header(6324, 6324), limit, 40_000_000, EvidenceTooLargeDecoded),
        ("8-bit rgba 6324x6324", _rgba_header(6324, 6324), limit, 40_000_000, EvidenceTooLargeDecoded),
        ("animated png", _animated("PNG"), limit, 40_000_000, EvidenceAnimated),
        ("animated webp", _animated("WEBP"), limit, 40_000_000, EvidenceAnimated),
    ]


_REJECTIONS = _rejection_cases()


@pytest.mark.parametrize(
    ("data", "max_bytes", "max_pixels", "error"),
    [case[1:] for case in _REJECTIONS],
    ids=[case[0] for case in _REJECTIONS],
)
def test_rejected_upload_writes_nothing(
    root: Path, data: bytes, max_bytes: int, max_pixels: int, error: type[EvidenceRejected]
) -> None:
    store = EvidenceStore(root, max_bytes=max_bytes, max_pixels=max_pixels, max_decoded_bytes=DECODED)

    with pytest.raises(EvidenceRejected) as info:
        store.save(data)

    assert type(info.value) is error
    assert _files_under(root) == []
    assert not root.exists()


def test_rejection_leaves_earlier_files_alone(store: EvidenceStore, root: Path) -> None:
    kept = store.save(_image_bytes("PNG"))

    with pytest.raises(EvidenceTypeNotAllowed):
        store.save(_image_bytes("GIF"))

    assert _files_under(root) == [f"{kept.sha256[:2]}/{kept.sha256[2:4]}/{kept.sha256}"]


@pytest.mark.parametrize(
    ("error", "code", "title_zh"),
    [
        (EvidenceTooLarge, "evidence_too_large", "凭证文件过大"),
        (EvidenceTypeNotAllowed, "evidence_type_not_allowed", "仅支持 PNG、JPEG 和 WebP 图片"),
        (EvidenceTooManyPixels, "evidence_too_many_pixels", "图片像素过多"),
        (EvidenceTooLargeDecoded, "evidence_too_large_decoded", "图片尺寸或色深过大，解码后超出上限"),
        (EvidenceAnimated, "evidence_animated", "不支持动图，请上传静态截图"),
        (EvidenceCorrupt, "evidence_corrupt", "图片文件已损坏或不完整"),
    ],
)
def test_errors_carry_stable_codes(error: type[EvidenceRejected], code: str, title_zh: str) -> None:
    assert issubclass(error, EvidenceRejected)
    assert error.code == code
    assert error.title_zh == title_zh
    assert error.title != EvidenceRejected.title


def test_open_unknown_hash_raises_file_not_found(store: EvidenceStore) -> None:
    with pytest.raises(FileNotFoundError):
        store.open("0" * 64)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "A" * 64, "0" * 63, ""])
def test_open_refuses_anything_but_a_sha256(store: EvidenceStore, bad: str) -> None:
    with pytest.raises(ValueError, match=r"^not a sha256 hex digest"):
        store.open(bad)


# ---------------------------------------------------------------- what is stored: the image, nothing past its end


def _jpeg_with_exif(**options: object) -> bytes:
    exif = Image.Exif()
    exif[0x0131] = "Adobe Photoshop 25.0"
    exif.get_ifd(0x8769)[0x9003] = "2026:11:20 21:15:00"
    out = io.BytesIO()
    _busy().save(out, "JPEG", exif=exif, **options)
    return out.getvalue()


def _mpo() -> bytes:
    """Return a two-picture JPEG (MPO), as phones write a photo with its HDR gain map."""
    pictures = [Image.new("RGB", (64, 48), colour) for colour in ("red", "blue")]
    out = io.BytesIO()
    pictures[0].save(out, "MPO", save_all=True, append_images=pictures[1:])
    return out.getvalue()


_PNG = _image_bytes("PNG")
_JPEG = _image_bytes("JPEG")
_WEBP = _image_bytes("WEBP")


@pytest.mark.parametrize(
    ("image", "extra", "content_type"),
    [
        pytest.param(_PNG, zip_bytes(), "image/png", id="png+zip polyglot"),
        pytest.param(_PNG, png_chunk(b"tEXt", b"Comment\0after the end"), "image/png", id="png chunk after IEND"),
        pytest.param(_PNG, b"\0" * 1000, "image/png", id="png padding"),
        pytest.param(_JPEG, zip_bytes(), "image/jpeg", id="jpeg+zip polyglot"),
        pytest.param(_JPEG, b"\xff\xd9\xff\xd8junk\xff\xd9", "image/jpeg", id="jpeg markers after EOI"),
        pytest.param(_jpeg_with_exif(progressive=True), zip_bytes(), "image/jpeg", id="progressive jpeg"),
        # The comment holds an end marker; the image ends at the real one, after the scan.
        pytest.param(_jpeg_with_exif(comment=b"\xff\xd9 fake end"), b"tail", "image/jpeg", id="jpeg EOI in a comment"),
        pytest.param(_WEBP, zip_bytes(), "image/webp", id="webp+zip polyglot"),
    ],
)
def test_bytes_past_the_image_end_are_not_stored(
    store: EvidenceStore, root: Path, image: bytes, extra: bytes, content_type: str
) -> None:
    sha = hashlib.sha256(image).hexdigest()

    stored = store.save(image + extra)

    assert stored == StoredFile(
        sha256=sha, content_type=content_type, size=len(image), width=64, height=48, path=store.path_for(sha)
    )
    assert store.open(sha) == image
    assert _files_under(root) == [f"{sha[:2]}/{sha[2:4]}/{sha}"]


def test_a_polyglot_is_stored_as_its_image_alone(store: EvidenceStore) -> None:
    polyglot = _PNG + zip_bytes()
    assert zipfile.is_zipfile(io.BytesIO(polyglot))

    stored = store.open(store.save(polyglot).sha256)

    assert stored == _PNG
    assert stored.endswith(png_chunk(b"IEND", b""))
    assert not zipfile.is_zipfile(io.BytesIO(stored))


def test_the_same_image_with_different_trailers_is_one_file(store: EvidenceStore, root: Path) -> None:
    first = store.save(_PNG + b"one trailer")
    second = store.save(_PNG + zip_bytes())
    third = store.save(_PNG)

    assert first == second == third
    assert first.sha256 == hashlib.sha256(_PNG).hexdigest()
    assert len(_files_under(root)) == 1


def test_trimming_keeps_the_metadata_forensics_reads(store: EvidenceStore) -> None:
    jpeg = _jpeg_with_exif()

    stored = store.open(store.save(jpeg + zip_bytes()).sha256)

    assert stored == jpeg
    assert marks(stored) == marks(jpeg)
    assert marks(stored).software == "Adobe Photoshop 25.0"
    assert marks(stored).captured_at is not None


def test_a_multi_picture_jpeg_is_stored_as_its_first_picture(store: EvidenceStore) -> None:
    mpo = _mpo()
    first_end = mpo.index(b"\xff\xd9") + 2  # the pictures here carry no thumbnails or comments

    stored = store.save(mpo)

    assert (stored.content_type, stored.size, stored.width, stored.height) == ("image/jpeg", first_end, 64, 48)
    assert store.open(stored.sha256) == mpo[:first_end]
    with Image.open(io.BytesIO(store.open(stored.sha256))) as img:
        assert img.convert("RGB").getpixel((32, 24)) == (254, 0, 0)


# ---------------------------------------------------------------- the decoded budget


@pytest.mark.parametrize(
    ("fmt", "decoded"),
    [
        ("JPEG", 64 * 48 * 3),
        ("WEBP", 64 * 48 * 3),
        ("PNG", 48 * (1 + 64 * 3)),  # the inflated scanlines: a filter byte per row
    ],
)
def test_decoded_budget_is_inclusive(root: Path, fmt: str, decoded: int) -> None:
    data = _image_bytes(fmt)

    assert EvidenceStore(root, 10 * MB, 40_000_000, max_decoded_bytes=decoded).save(data).size == len(data)
    with pytest.raises(EvidenceTooLargeDecoded):
        EvidenceStore(root, 10 * MB, 40_000_000, max_decoded_bytes=decoded - 1).save(data)


def test_sixteen_bits_a_channel_count_twice(root: Path) -> None:
    deep = deep_png(100, 100)  # 100 rows of a filter byte and 100 x 8 bytes
    store = EvidenceStore(root, 10 * MB, 40_000_000, max_decoded_bytes=100 * 801)

    assert store.save(deep).width == 100
    with pytest.raises(EvidenceTooLargeDecoded):
        EvidenceStore(root, 10 * MB, 40_000_000, max_decoded_bytes=100 * 801 - 1).save(deep)


def _interlaced_png(width: int, height: int, depth: int, colour: int, channels: int) -> bytes:
    """Return an Adam7-interlaced PNG (Pillow writes none): seven passes of scanlines, all zero."""
    passes = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
    raw = b""
    for x, y, dx, dy in passes:
        columns, rows = (width - x + dx - 1) // dx, (height - y + dy - 1) // dy
        if columns > 0 and rows > 0:
            raw += (b"\0" + bytes((columns * channels * depth + 7) // 8)) * rows
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 1))
    palette = png_chunk(b"PLTE", bytes(48)) if colour == 3 else b""
    return b"\x89PNG\r\n\x1a\n" + header + palette + png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("width", "height", "depth", "colour", "channels"),
    [(1, 1, 8, 2, 3), (3, 5, 8, 2, 3), (13, 7, 1, 0, 1), (9, 9, 4, 3, 1), (100, 3, 16, 6, 4)],
)
def test_an_interlaced_png_is_accepted_unchanged(
    store: EvidenceStore, width: int, height: int, depth: int, colour: int, channels: int
) -> None:
    data = _interlaced_png(width, height, depth, colour, channels)

    stored = store.save(data)

    assert (stored.width, stored.height, store.open(stored.sha256)) == (width, height, data)


def _phone_screenshot() -> bytes:
    # 1440 x 3200 RGBA with a status bar and text-like stripes, as a phone saves it.
    img = Image.new("RGBA", (1440, 3200), (250, 250, 250, 255))
    for y in range(0, 3200, 40):
        img.paste((20, 20, 20, 255), (60, y, 60 + (y * 7) % 1300, y + 12))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def _camera_photo() -> bytes:
    # A 4000 x 3000 photo of a screen: a gradient, JPEG at a phone's usual quality.
    img = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.mark.parametrize("make", [_phone_screenshot, _camera_photo], ids=["1440x3200 rgba png", "4000x3000 jpeg"])
def test_real_phone_images_pass_the_default_limits_unchanged(root: Path, make: Callable[[], bytes]) -> None:
    data = make()
    defaults = Settings()
    store = EvidenceStore(
        root, defaults.evidence_max_bytes, defaults.evidence_max_pixels, defaults.evidence_max_decoded_bytes
    )

    stored = store.save(data)

    assert store.open(stored.sha256) == data
    assert stored.sha256 == hashlib.sha256(data).hexdigest()


def _split_idat(png: bytes, size: int) -> bytes:
    """Return ``png`` with its one IDAT chunk split into chunks of ``size`` bytes (the same image)."""
    start = png.index(b"IDAT") - 4
    length = struct.unpack(">I", png[start : start + 4])[0]
    data = png[start + 8 : start + 8 + length]
    pieces = b"".join(png_chunk(b"IDAT", data[i : i + size]) for i in range(0, len(data), size))
    return png[:start] + pieces + png[start + 12 + length :]


def _jpeg_with_comments(count: int) -> bytes:
    """Return a JPEG with ``count`` empty comment segments after its start marker."""
    jpeg = _image_bytes("JPEG")
    return jpeg[:2] + b"\xff\xfe\x00\x02" * count + jpeg[2:]


def test_a_png_of_thousands_of_tiny_chunks_is_refused_before_it_costs_seconds(store: EvidenceStore, root: Path) -> None:
    busy = _split_idat(png_of(64, 64, zlib.compress(_raw_rows(64, 64), 0)), 1)  # stored, not deflated
    assert busy.count(b"IDAT") > 10_000

    with pytest.raises(EvidenceCorrupt):
        store.save(busy)
    assert _files_under(root) == []


def test_image_data_in_chunks_as_encoders_write_them_is_kept(store: EvidenceStore) -> None:
    rows = _raw_rows(512, 512)
    compressed = zlib.compress(rows, 1)
    for size in (1024, 8192):  # small chunks some encoders use, and libpng's default
        png = _split_idat(png_of(512, 512, compressed), size)
        assert store.save(png).size == len(png)


def test_a_jpeg_of_thousands_of_empty_segments_is_refused(store: EvidenceStore, root: Path) -> None:
    kept = store.save(_jpeg_with_comments(50))
    assert kept.content_type == "image/jpeg"

    with pytest.raises(EvidenceCorrupt):
        store.save(_jpeg_with_comments(10_001))
    assert _files_under(root) == [str(kept.path.relative_to(root))]
