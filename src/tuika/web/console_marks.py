"""Where each field the machine read sits on its screenshot, so the console can draw a box on it.

A read keeps its OCR lines with their boxes and, apart, the fields found in the text and how
each compared with the order; it does not say which line a field came from. This finds it
again: the first line that shows the value (as read, masked the same way the lines are), and
within it the value's share of the line's width, counting wide CJK characters twice.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from tuika.review.fields import ERROR_PHRASES
from tuika.review.reading import EvidenceRead
from tuika.review.verdicts import FieldVerdict, Verdict, field_verdicts
from tuika.web.session import SHANGHAI

Box = tuple[int, int, int, int]
Line = tuple[str, Box, float]
Finder = Callable[[str], tuple[int, int] | None]

_MONEY_WORDS: Final = re.compile(r"¥|元|金额|实付|合计|总计|RMB|CNY")
_NUMBER: Final = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?(?![\d.])")


@dataclass(frozen=True, slots=True)
class Mark:
    """One field read from a screenshot, what the order says, and where it is on the image."""

    field: str
    read: str
    expected: str | None
    verdict: Verdict
    code: str | None
    box: Box | None
    corrections: int = 0


def marks(read: EvidenceRead) -> list[Mark]:
    """Return every field of ``field_verdicts``, in its order and with its verdict, each boxed when found."""
    lines = [(unicodedata.normalize("NFKC", text), box, c) for text, box, c in read.lines]
    return [_mark(lines, f) for f in field_verdicts(read)]


def _mark(lines: Sequence[Line], found: FieldVerdict) -> Mark:
    value, expected = found.read, found.expected
    box: Box | None = None
    if found.field == "time":
        box = _locate(lines, _time_finder(value))
        value, expected = _local(value), None if expected is None else _local(expected)
    elif found.field == "amount":
        box = _locate_amount(lines, value)
    elif found.field == "error_text":
        phrases = [p for p, k in ERROR_PHRASES.items() if k == value]
        if phrases:
            box = _locate(lines, _pattern_finder("|".join(r"\s*".join(map(re.escape, p)) for p in phrases)))
    elif found.field == "phone":
        # Lines hide the middle digits (review.accountmask), but a number OCR split over two may not.
        pattern = rf"{re.escape(value[:3])}[ -]?(?:\d{{4}}|\*{{4}})[ -]?{re.escape(value[-4:])}"
        box = _locate(lines, _pattern_finder(pattern))
    else:
        box = _locate(lines, _compact_finder(value))
    return Mark(found.field, value, expected, found.verdict, found.code, box, found.corrections)


def _locate(lines: Sequence[Line], finder: Finder) -> Box | None:
    for text, box, _ in lines:
        span = finder(text)
        if span is not None:
            return _narrow(text, box, span)
    return None


def _locate_amount(lines: Sequence[Line], yuan: str) -> Box | None:
    """Return the box of the amount read, preferring a line that looks like a price."""
    wanted = _fen(yuan)
    best: tuple[int, Box] | None = None
    for text, box, _ in lines:
        for m in _NUMBER.finditer(text):
            if _fen(m.group()) != wanted:
                continue
            score = (2 if _MONEY_WORDS.search(text) else 0) + (1 if m.group(2) else 0)
            if best is None or score > best[0]:
                best = (score, _narrow(text, box, m.span()))
    return None if best is None else best[1]


def _fen(number: str) -> int:
    whole, _, part = number.replace(",", "").partition(".")
    return int(whole) * 100 + int(part.ljust(2, "0")[:2] or 0)


def _compact_finder(value: str) -> Finder:
    """Find ``value`` ignoring case, spaces and dashes, which OCR and the screen both vary."""
    needle = re.sub(r"[\s-]", "", value).upper()

    def find(text: str) -> tuple[int, int] | None:
        kept = [(i, c.upper()) for i, c in enumerate(text) if not c.isspace() and c != "-"]
        start = "".join(c for _, c in kept).find(needle)
        if not needle or start < 0:
            return None
        return kept[start][0], kept[start + len(needle) - 1][0] + 1

    return find


def _pattern_finder(pattern: str) -> Finder:
    compiled = re.compile(pattern)

    def find(text: str) -> tuple[int, int] | None:
        m = compiled.search(text)
        return None if m is None else m.span()

    return find


def _time_finder(iso: str) -> Finder:
    """Find a time as the screen showed it: Shanghai local, dashes, slashes or 年月日, seconds optional."""
    at = datetime.fromisoformat(iso).astimezone(SHANGHAI)
    return _pattern_finder(
        rf"{at.year}\s*[-/.年]\s*0?{at.month}\s*[-/.月]\s*0?{at.day}\s*日?\s*T?\s*0?{at.hour}:{at.minute:02d}(?::\d{{2}})?"
    )


def _local(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso


def _narrow(text: str, box: Box, span: tuple[int, int]) -> Box:
    """Return the part of a line's box that ``text[span]`` takes, by character widths."""
    widths = [2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text]
    total = sum(widths) or 1
    left, top, right, bottom = box
    start = left + (right - left) * sum(widths[: span[0]]) // total
    end = left + (right - left) * sum(widths[: span[1]]) // total
    pad = max(2, (bottom - top) // 6)
    return max(left, start - pad), top, min(right, end + pad), bottom
