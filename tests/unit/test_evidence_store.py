import hashlib
import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from tuika.adapters.evidence_store import (
    EvidenceCorrupt,
    EvidenceRejected,
    EvidenceStore,
    EvidenceTooLarge,
    EvidenceTooManyPixels,
    EvidenceTypeNotAllowed,
    StoredFile,
)

MB = 1024 * 1024


def _image_bytes(fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    width, height = size
    # A busy deterministic pattern, so lossy encoders produce a multi-block stream.
    pixels = bytes((i * 7 + i // 5) % 256 for i in range(width * height * 3))
    out = io.BytesIO()
    Image.frombytes("RGB", size, pixels).save(out, fmt)
    return out.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """Return a tiny PNG whose IHDR (with a valid CRC) claims the given size."""
    data = bytearray(_image_bytes("PNG", (1, 1)))
    ihdr = bytes(data[12:16]) + struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(ihdr))
    return bytes(data)


def _files_under(root: Path) -> list[str]:
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "evidence"


@pytest.fixture
def store(root: Path) -> EvidenceStore:
    return EvidenceStore(root, max_bytes=10 * MB, max_pixels=40_000_000)


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
    store = EvidenceStore(root, max_bytes=len(data), max_pixels=40_000_000)

    assert store.save(data).size == len(data)


def test_pixel_limit_is_inclusive(root: Path) -> None:
    store = EvidenceStore(root, max_bytes=10 * MB, max_pixels=64 * 48)

    assert store.save(_image_bytes("JPEG")).width == 64


def _rejection_cases() -> list[tuple[str, bytes, int, int, type[EvidenceRejected]]]:
    png = _image_bytes("PNG")
    jpeg = _image_bytes("JPEG")
    webp = _image_bytes("WEBP")
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
    store = EvidenceStore(root, max_bytes=max_bytes, max_pixels=max_pixels)

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
