"""What an OCR engine reads from an image: lines of text with where they are and how sure it is."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OcrLine:
    text: str
    # Left, top, right, bottom in pixels of the image as uploaded.
    box: tuple[int, int, int, int]
    confidence: float


@dataclass(frozen=True, slots=True)
class OcrText:
    lines: tuple[OcrLine, ...]

    @property
    def text(self) -> str:
        """Return the lines joined with line breaks, top to bottom as the engine gave them."""
        return "\n".join(line.text for line in self.lines)


class OcrError(Exception):
    """An image could not be read; the review carries on without its text, and a person looks."""

    code = "ocr_failed"


class UnreadableImage(OcrError, ValueError):
    """The bytes are not an image the engine can read: unknown format, damaged, or too many pixels."""

    code = "unreadable_image"


class OcrEngineFailed(OcrError, RuntimeError):
    """The engine failed on an image that decoded cleanly; the image is not to blame."""

    code = "ocr_engine_failed"
