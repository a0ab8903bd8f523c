"""Content-addressed storage for uploaded evidence images.

An upload is checked completely before a single byte reaches the disk, so a
rejected file leaves no trace. Stored files are named by their SHA-256, which
makes saving the same screenshot twice harmless.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from PIL import Image

_PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC: Final = b"\xff\xd8\xff"
_SHA256_HEX: Final = re.compile(r"[0-9a-f]{64}")


class EvidenceRejected(Exception):
    """An uploaded evidence file was refused; nothing was stored."""

    code = "evidence_rejected"
    title = "The evidence file was rejected"
    title_zh = "凭证文件被拒绝"


class EvidenceTooLarge(EvidenceRejected):
    """The file is bigger than the configured byte limit."""

    code = "evidence_too_large"
    title = "The evidence file is too large"
    title_zh = "凭证文件过大"


class EvidenceTypeNotAllowed(EvidenceRejected):
    """The file is not a PNG, JPEG or WebP image."""

    code = "evidence_type_not_allowed"
    title = "Only PNG, JPEG and WebP images are accepted"
    title_zh = "仅支持 PNG、JPEG 和 WebP 图片"


class EvidenceTooManyPixels(EvidenceRejected):
    """The image dimensions exceed the configured pixel limit."""

    code = "evidence_too_many_pixels"
    title = "The image has too many pixels"
    title_zh = "图片像素过多"


class EvidenceCorrupt(EvidenceRejected):
    """The file claims an allowed format but is truncated or damaged."""

    code = "evidence_corrupt"
    title = "The image file is damaged or incomplete"
    title_zh = "图片文件已损坏或不完整"


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


class EvidenceStore:
    """Validate evidence images and keep them on disk under their SHA-256."""

    def __init__(self, root: Path, max_bytes: int, max_pixels: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels

    def path_for(self, sha256: str) -> Path:
        """Return where the file with this hash lives (or would live)."""
        # The hash becomes a path, so anything but 64 lowercase hex digits is refused.
        if not _SHA256_HEX.fullmatch(sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def save(self, data: bytes) -> StoredFile:
        """Validate ``data`` and store it; raise an ``EvidenceRejected`` subclass if refused."""
        content_type, width, height = self._validate(data)
        sha256 = hashlib.sha256(data).hexdigest()
        path = self.path_for(sha256)
        if path.exists():
            # Fresh again: the cleanup of unused files leaves recently saved ones alone.
            os.utime(path)
        else:
            self._write_atomically(path, data)
        return StoredFile(
            sha256=sha256,
            content_type=content_type,
            size=len(data),
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

    def _validate(self, data: bytes) -> tuple[str, int, int]:
        if len(data) > self.max_bytes:
            raise EvidenceTooLarge(f"{len(data)} bytes > {self.max_bytes}")
        pil_format, content_type = _sniff(data)
        width, height = self._read_header(data, pil_format)
        if width * height > self.max_pixels:
            raise EvidenceTooManyPixels(f"{width}x{height} > {self.max_pixels} pixels")
        self._check_complete(data, pil_format)
        return content_type, width, height

    @staticmethod
    def _read_header(data: bytes, pil_format: str) -> tuple[int, int]:
        # Image.open reads only the header, so the size is known before any decoding.
        # Pillow's own process-wide bomb limit may fire first on huge headers; it means
        # the same thing, so it maps to the same error. We do not lower that global.
        try:
            with Image.open(io.BytesIO(data), formats=[pil_format]) as img:
                if img.format != pil_format:
                    raise EvidenceTypeNotAllowed(f"{img.format} is not {pil_format}")
                width, height = img.size
        except Image.DecompressionBombError as exc:
            raise EvidenceTooManyPixels(str(exc)) from exc
        except EvidenceRejected:
            raise
        except Exception as exc:
            # The magic bytes promised an allowed format that Pillow cannot parse.
            raise EvidenceCorrupt(f"unreadable {pil_format} header") from exc
        return width, height

    @staticmethod
    def _check_complete(data: bytes, pil_format: str) -> None:
        # Pillow reports damage as OSError, SyntaxError, struct.error, ValueError…
        # across formats and versions; any failure here means the file is unusable.
        try:
            with Image.open(io.BytesIO(data), formats=[pil_format]) as img:
                # PNG verify() walks every chunk and checks its CRC, so it finds truncation.
                img.verify()
            if pil_format == "PNG":
                return
            # verify() is a no-op for JPEG and WebP; only decoding finds a cut-off file.
            # The pixel count is already bounded, and JPEG decodes at 1/8 scale.
            with Image.open(io.BytesIO(data), formats=[pil_format]) as img:
                if pil_format == "JPEG":
                    img.draft(None, (max(1, img.width // 8), max(1, img.height // 8)))
                img.load()
        except Exception as exc:
            raise EvidenceCorrupt(f"{pil_format} file is truncated or damaged") from exc

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
