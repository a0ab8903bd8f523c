"""What frames every screenshot: a phone's status bar and title bar, a browser's address bar, a Windows window."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Final

from tuika_dev.bench.ocrcorpus.canvas import Canvas
from tuika_dev.bench.ocrcorpus.values import beijing


def status_bar(c: Canvas, at: datetime, rng: random.Random, *, fill: str | None = None) -> float:
    """Draw the phone's status bar showing the clock at ``at``; return its height."""
    colour = fill or c.theme.text
    c.text(18, 6, f"{beijing(at):%H:%M}", 13, colour, bold=True)
    right = c.w - 16
    # Battery: an outline and its charge, then the percentage, then signal bars and the network.
    c.rect((right - 24, 9, right - 2, 19), None, radius=2.5, outline=colour)
    c.rect((right - 22, 11, right - 22 + 18 * rng.uniform(0.3, 0.95), 17), colour, radius=1)
    c.text(right - 28, 6, f"{rng.randint(21, 99)}", 11, colour, align="r")
    bars = right - 60
    for n in range(4):
        c.rect((bars + n * 5, 18 - 3 * n, bars + n * 5 + 3, 19), colour)
    c.text(bars - 4, 6, rng.choice(("5G", "4G", "5G", "")), 11, colour, align="r")
    return 26


def title_bar(c: Canvas, top: float, title: str, *, fill: str | None = None, more: bool = True) -> float:
    """Draw an app's title bar: a back chevron, the title centred, "more" dots; return its bottom."""
    colour = fill or c.theme.text
    c.line([(26, top + 14), (18, top + 22), (26, top + 30)], colour, 2)
    c.text(c.w / 2, top + 12, title, 17 * c.zoom, colour, bold=True, align="c")
    if more:
        for n in range(3):
            c.circle(c.w - 34 + n * 7, top + 22, 1.7, colour)
    return top + 44


def browser_bar(c: Canvas, top: float, host: str) -> float:
    """Draw a mobile browser's address bar with ``host``; return its bottom."""
    c.rect((0, top, c.w, top + 48), c.theme.card)
    c.rect((12, top + 8, c.w - 52, top + 40), c.theme.page, radius=16)
    c.text(30, top + 15, host, 14, c.theme.text)
    c.rect((c.w - 40, top + 14, c.w - 20, top + 34), None, radius=3, outline=c.theme.muted)
    c.text(c.w - 30, top + 17, "3", 11, c.theme.muted, align="c")
    return top + 48


def window(c: Canvas, box: tuple[float, float, float, float], title: str, *, dark: bool) -> float:
    """Draw a Windows window with its title bar and close button; return the top of its client area."""
    left, top, right, bottom = box
    frame, text = ("#202020", "#ffffff") if dark else ("#ffffff", "#000000")
    c.rect((left - 1, top - 1, right + 1, bottom + 1), "#5c5c5c" if dark else "#a0a0a0")
    c.rect(box, frame)
    c.text(left + 12, top + 8, title, 12, text)
    # Minimise and close, drawn as lines so they never come out as a font's missing glyph.
    c.line([(right - 84, top + 16), (right - 74, top + 16)], text)
    c.line([(right - 26, top + 10), (right - 16, top + 20)], text)
    c.line([(right - 26, top + 20), (right - 16, top + 10)], text)
    return top + 32


def taskbar(c: Canvas, at: datetime, *, dark: bool) -> None:
    """Draw the Windows taskbar along the bottom with its clock (time over date)."""
    bar, text = ("#1c1c1c", "#ffffff") if dark else ("#eeeeee", "#000000")
    top = c.h - 40
    c.rect((0, top, c.w, c.h), bar)
    for n in range(6):
        x = c.w / 2 - 90 + n * 32
        c.rect((x, top + 10, x + 20, top + 30), ("#3d7be0", "#f0b400", "#2ea043", "#d9534f", "#6f42c1", "#888888")[n])
    local = beijing(at)
    c.text(c.w - 12, top + 4, f"{local:%H:%M}", 11, text, align="r")
    c.text(c.w - 12, top + 21, f"{local:%Y/%m/%d}", 11, text, align="r")


# (width, height, pixels per unit) of the screens screenshots come from.
PHONES: Final = ((720, 1600, 2.0), (1080, 2400, 3.0), (1440, 3200, 4.0), (1080, 2340, 3.0), (1170, 2532, 3.0))
DESKTOPS: Final = ((1366, 768, 1.0), (1920, 1080, 1.0), (1920, 1080, 1.25))
