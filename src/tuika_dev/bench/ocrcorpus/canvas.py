"""Drawing in device-independent points: a screen laid out once, drawn at any pixel size.

Phones lay out in dp (a 1080-wide phone is 360 dp at 3 px/dp), desktops in points at their
display scaling. ``Canvas`` takes coordinates in those units and draws each run of text with
the font of the sample's face that has its glyphs, on one baseline.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Final, Literal

from PIL import Image, ImageDraw

from tuika_dev.bench.ocrcorpus.faces import THIN_GAP, Face, runs

Align = Literal["l", "c", "r"]
# Where the baseline sits below the top of a line, in ems: close to the CJK fonts' ascent.
_BASELINE: Final = 0.86


@dataclass(frozen=True, slots=True)
class Theme:
    """A light or dark look: page, card, text, secondary text, dividers."""

    name: Literal["light", "dark"]
    page: str
    card: str
    text: str
    muted: str
    line: str

    @property
    def dark(self) -> bool:
        """Return whether light text is drawn on dark surfaces."""
        return self.name == "dark"


LIGHT: Final = Theme("light", page="#f5f5f5", card="#ffffff", text="#1a1a1a", muted="#888888", line="#ebebeb")
DARK: Final = Theme("dark", page="#111111", card="#1e1e1e", text="#e3e3e3", muted="#8a8a8a", line="#2c2c2c")


class Canvas:
    """An RGB image of ``px`` pixels drawn in units of ``scale`` pixels; ``w`` and ``h`` are its size in units."""

    image: Image.Image

    def __init__(
        self, px: tuple[int, int], scale: float, face: Face, theme: Theme, *, zoom: float = 1.0, background: str = ""
    ) -> None:
        self.image = Image.new("RGB", px, background or theme.page)
        self.draw = ImageDraw.Draw(self.image)
        self.scale = scale
        self.face = face
        self.theme = theme
        # The phone's text size setting: layouts multiply their text sizes and line heights by it.
        self.zoom = zoom
        self.w = px[0] / scale
        self.h = px[1] / scale

    def _p(self, value: float) -> int:
        return round(value * self.scale)

    def rect(
        self,
        box: tuple[float, float, float, float],
        fill: str | None,
        *,
        radius: float = 0,
        outline: str | None = None,
        width: float = 1,
    ) -> None:
        """Fill (and outline) a rectangle, with rounded corners when ``radius`` is given."""
        left, top, right, bottom = (self._p(v) for v in box)
        self.draw.rounded_rectangle(
            (left, top, max(left, right - 1), max(top, bottom - 1)),
            radius=self._p(radius),
            fill=fill,
            outline=outline,
            width=max(1, self._p(width)),
        )

    def line(self, points: list[tuple[float, float]], fill: str, width: float = 1) -> None:
        """Draw a polyline, ``width`` units thick."""
        self.draw.line([(self._p(x), self._p(y)) for x, y in points], fill=fill, width=max(1, self._p(width)))

    def circle(self, cx: float, cy: float, r: float, fill: str) -> None:
        """Fill a disc."""
        self.draw.ellipse((self._p(cx - r), self._p(cy - r), self._p(cx + r), self._p(cy + r)), fill=fill)

    def hline(self, y: float, left: float = 0, right: float | None = None, fill: str | None = None) -> None:
        """Draw a one-pixel divider across the screen or from ``left`` to ``right``."""
        right = self.w if right is None else right
        self.draw.line(
            [(self._p(left), self._p(y)), (self._p(right), self._p(y))], fill=fill or self.theme.line, width=1
        )

    def measure(self, text: str, size: float, *, bold: bool = False) -> float:
        """Return the width of ``text`` at ``size`` units, in units."""
        px = self._p(size)
        total = 0.0
        for chunk, font in runs(text, self.face, px, bold=bold):
            total += 0.2 * px * len(chunk) if font is None else font.getlength(chunk)
        return total / self.scale

    def text(
        self,
        x: float,
        y: float,
        text: str,
        size: float,
        fill: str | None = None,
        *,
        bold: bool = False,
        align: Align = "l",
    ) -> float:
        """Draw one line with its top at ``y``, starting, centred or ending at ``x``; return its width."""
        width = self.measure(text, size, bold=bold)
        left = x - {"l": 0.0, "c": width / 2, "r": width}[align]
        px = self._p(size)
        pen = left * self.scale
        baseline = (y + size * _BASELINE) * self.scale
        # No Chinese font here has a bold cut; a thin stroke thickens it as apps' medium weights look.
        stroke = max(1, round(px / 48)) if bold and px >= 18 else 0
        colour = fill or self.theme.text
        for chunk, font in runs(text, self.face, px, bold=bold):
            if font is None:
                pen += 0.2 * px * len(chunk)
                continue
            own_bold = self.face.latin_bold is not None and font.path == str(self.face.latin_bold)
            width = 0 if own_bold else stroke
            self.draw.text(
                (pen, baseline), chunk, font=font, fill=colour, anchor="ls", stroke_width=width, stroke_fill=colour
            )
            pen += font.getlength(chunk)
        return width

    def wrap(self, text: str, size: float, width: float, *, bold: bool = False) -> list[str]:
        """Split ``text`` into lines no wider than ``width`` units, breaking anywhere (as CJK text does)."""
        lines: list[str] = []
        line = ""
        for char in text:
            if line and self.measure(line + char, size, bold=bold) > width:
                lines.append(line)
                line = ""
            line += char
        return [*lines, line]

    def gradient(self, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> None:
        """Fill the whole image with a vertical gradient from ``top`` to ``bottom``."""
        height = self.image.height
        for row in range(height):
            t = row / max(1, height - 1)
            colour = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
            self.draw.line([(0, row), (self.image.width, row)], fill=colour)

    def dim(self, factor: float) -> None:
        """Darken everything drawn so far, as a modal dialog's backdrop does."""
        self.image = self.image.point(lambda v: round(v * factor))
        self.draw = ImageDraw.Draw(self.image)

    def paste(self, image: Image.Image, x: float, y: float) -> None:
        """Paste ``image`` (already at its final pixel size) with its top left at ``(x, y)``."""
        self.image.paste(image, (self._p(x), self._p(y)))

    def png(self) -> bytes:
        """Return the image as PNG bytes, as a phone saves a screenshot."""
        buffer = io.BytesIO()
        self.image.save(buffer, "PNG")
        return buffer.getvalue()


def with_thin_gap(date: str, clock: str) -> str:
    """Return a date and a time set apart by a narrow gap instead of a space."""
    return f"{date}{THIN_GAP}{clock}"
