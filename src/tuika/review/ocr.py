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
