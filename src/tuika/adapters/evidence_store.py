"""Content-addressed storage for uploaded evidence images.

An upload is checked completely before a single byte reaches the disk, so a
rejected file leaves no trace: its structure walked to the image's end, its
decoded size (pixels times bytes per pixel) bounded before anything is decoded,
then decoded whole. Only the image is kept, never bytes after its end. Stored
files are named by the SHA-256 of what is kept, which makes saving the same
screenshot twice harmless.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from PIL import Image, ImageMode

from tuika.adapters.image_layout import Damaged, Layout, check_png_data, jpeg_layout, png_layout, webp_layout
from tuika.domain.errors import (
    EvidenceAnimated,
    EvidenceCorrupt,
    EvidenceRejected,
    EvidenceTooLarge,
    EvidenceTooLargeDecoded,
    EvidenceTooManyPixels,
    EvidenceTypeNotAllowed,
)

_PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC: Final = b"\xff\xd8\xff"
_SHA256_HEX: Final = re.compile(r"[0-9a-f]{64}")
_LAYOUTS: Final[Mapping[str, Callable[[bytes], Layout]]] = {"PNG": png_layout, "JPEG": jpeg_layout, "WEBP": webp_layout}
_OPENED_AS: Final[Mapping[str, frozenset[str]]] = {
    "PNG": frozenset({"PNG"}),
    "JPEG": frozenset({"JPEG", "MPO"}),
    "WEBP": frozenset({"WEBP"}),
}


@dataclass(frozen=True, slots=True)
class StoredFile:
    """An evidence file as stored: its content hash, type and dimensions."""

    sha256: str
    content_type: str
    size: int
    width: int
    height: int
    path: Path


def _sniff(data: bytes) -> tuple[str, str]:
    """Return (Pillow format, content type) from the magic bytes; only three are allowed."""
    if data.startswith(_PNG_MAGIC):
        return "PNG", "image/png"
    if data.startswith(_JPEG_MAGIC):
        return "JPEG", "image/jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP", "image/webp"
    raise EvidenceTypeNotAllowed("unrecognised magic bytes")


def _bytes_per_pixel(mode: str) -> int:
    """Return what one pixel of a Pillow mode takes decoded: bands times bytes a band."""
    described = ImageMode.getmode(mode)
    return len(described.bands) * int(described.typestr[-1])


class EvidenceStore:
    """Validate evidence images and keep them on disk under their SHA-256."""

    def __init__(self, root: Path, max_bytes: int, max_pixels: int, max_decoded_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self.max_decoded_bytes = max_decoded_bytes

    def path_for(self, sha256: str) -> Path:
        """Return where the file with this hash lives (or would live)."""
        # The hash becomes a path, so anything but 64 lowercase hex digits is refused.
        if not _SHA256_HEX.fullmatch(sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def save(self, data: bytes) -> StoredFile:
        """Validate ``data`` and store the image it holds; raise an ``EvidenceRejected`` subclass if refused."""
        image, content_type, width, height = self._validate(data)
        sha256 = hashlib.sha256(image).hexdigest()
        path = self.path_for(sha256)
        if path.exists():
            # Fresh again: the cleanup of unused files leaves recently saved ones alone.
            os.utime(path)
        else:
            self._write_atomically(path, image)
        return StoredFile(
            sha256=sha256,
            content_type=content_type,
            size=len(image),
            width=width,
            height=height,
            path=path,
        )

    def open(self, sha256: str) -> bytes:
        """Return the stored bytes for ``sha256``; raise ``FileNotFoundError`` if absent."""
        return self.path_for(sha256).read_bytes()

    def remove_if_older(self, sha256: str, before: datetime) -> bool:
        """Delete the stored file unless it was saved (or saved again) at ``before`` or later."""
        path = self.path_for(sha256)
        try:
            if path.stat().st_mtime >= before.timestamp():
                return False
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def _validate(self, data: bytes) -> tuple[bytes, str, int, int]:
        """Return the image cut at its end, its content type and size; raise if it is refused."""
        if len(data) > self.max_bytes:
            raise EvidenceTooLarge(f"{len(data)} bytes > {self.max_bytes}")
        pil_format, content_type = _sniff(data)
        try:
            layout = _LAYOUTS[pil_format](data)
        except Damaged as exc:
            raise EvidenceCorrupt(str(exc)) from exc
        # What follows the image's end is no part of it (a ZIP of a polyglot, a phone's trailer,
        # the extra pictures of an MPO): it is neither stored nor served back. Trimming, not
        # re-encoding, keeps the EXIF and editor tags forensics reads, and one picture sent with
        # different trailers is still one file under one hash.
        image = data[: layout.end]
        width, height, mode = self._read_header(image, pil_format)
        if width * height > self.max_pixels:
            raise EvidenceTooManyPixels(f"{width}x{height} > {self.max_pixels} pixels")
        decoded = max(width * height * _bytes_per_pixel(mode), layout.inflated)
        if decoded > self.max_decoded_bytes:
            raise EvidenceTooLargeDecoded(
                f"{width}x{height} {mode} decodes to {decoded} bytes > {self.max_decoded_bytes}"
            )
        if layout.animated:
            raise EvidenceAnimated(f"an animated {pil_format}")
        self._decode(image, pil_format, layout)
        return image, content_type, width, height

    @staticmethod
    def _read_header(data: bytes, pil_format: str) -> tuple[int, int, str]:
        # Image.open reads only the header, so the size is known before any decoding.
        # Pillow's own process-wide bomb limit may fire first on huge headers; it means
        # the same thing, so it maps to the same error. We do not lower that global.
        try:
            with Image.open(io.BytesIO(data), formats=[pil_format]) as img:
                # A JPEG with more pictures after its first opens as MPO; only the first is kept.
                if img.format not in _OPENED_AS[pil_format]:
                    raise EvidenceTypeNotAllowed(f"{img.format} is not {pil_format}")
                width, height = img.size
                mode = img.mode
        except Image.DecompressionBombError as exc:
            raise EvidenceTooManyPixels(str(exc)) from exc
        except EvidenceRejected:
            raise
        except Exception as exc:
            # The magic bytes promised an allowed format that Pillow cannot parse.
            raise EvidenceCorrupt(f"unreadable {pil_format} header") from exc
        return width, height, mode

    @staticmethod
    def _decode(data: bytes, pil_format: str, layout: Layout) -> None:
        # Pillow reports damage as OSError, SyntaxError, struct.error, ValueError…
        # across formats and versions; any failure here means the file is unusable.
        try:
            if pil_format == "PNG":
                # Pillow stops once the pixels are filled and pads a stream that ends early;
                # inflating it here first finds data cut short, too long, or followed by more.
                check_png_data(data, layout)
            with Image.open(io.BytesIO(data), formats=[pil_format]) as img:
                if pil_format == "JPEG":
                    # A 1/8-scale decode still reads every byte of the stream, at a fraction
                    # of the memory; the worker decodes it whole within the same budget.
                    img.draft(None, (max(1, img.width // 8), max(1, img.height // 8)))
                img.load()
        except Exception as exc:
            raise EvidenceCorrupt(f"{pil_format} file is truncated or damaged: {exc}") from exc

    def _write_atomically(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Same directory as the target, so os.replace is an atomic rename: readers see
        # either no file or the whole file, and concurrent saves of one hash are harmless.
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
