"""Card keys in what OCR read, masked where they stand, in any spelling.

Two nets, one after the other. First the keys we know (the order's own, and any the field
extractor read): compared as their letters and digits alone, upper case, with the OCR
look-alikes ``matching.canonical`` forgives folded, over the lines joined the way the
extractor joins them. A key written with spaces, dots or nothing between its groups, in
lower case, with a B read as 8, or wrapped onto the next line is still found. Then shapes,
for keys of other orders and keys nobody told us about: evenly grouped runs
(``KM8F 3AQ7 XP2L VN9D``, ``6225 8812 3456 7890``), long runs of capitals, of letters mixed
with digits, or of 16 to 19 digits. What a person must still read to compare has none of
those shapes: our order numbers (``ord_…``), a platform's ``DD2026…``, date-led trade
numbers, amounts, times, phones, error codes.

Each character found becomes ``*`` in place, the first and last four kept as
``mask_card_key`` keeps them, so a masked line keeps its length and layout, and masking it
again changes nothing.

>>> mask_lines(["卡密：hn4k m8vb", "2cx7 lp9d 已被使用"], ["HN4K-M8VB-2CX7-LP9D"])
('卡密：hn4k ****', '**** lp9d 已被使用')
>>> mask_lines(["订单号：DD202611221530120731", "银行卡 6225 8812 3456 7890"])
('订单号：DD202611221530120731', '银行卡 6225 **** **** 7890')
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from itertools import pairwise
from typing import Final

from tuika.domain.masking import shown_ends
from tuika.review.matching import canonical

# What may stand between a key's groups; any other character ends the key.
_BETWEEN: Final = frozenset(" \t-_.·・‐‑‒–—―")
_ASCII_ALNUM: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
# A stored 卡号+密码 pair is looked for whole and part by part, as matching compares it.
_PARTS: Final = re.compile(r"[\s/|,;]+")
# Shorter keys are not looked for: six characters can turn up in any number on a screen.
_WHOLE_MIN: Final = 6
_PART_MIN: Final = 8
# Keys this long are also looked for piece by piece, eight characters or more at a time.
_PIECES_FROM: Final = 12
_PIECE_MIN: Final = 8
_BARRIER: Final = "\0"

_EDGE = r"(?<![A-Za-z0-9_])", r"(?![A-Za-z0-9_])"
_GROUPED: Final = re.compile(rf"{_EDGE[0]}[A-Za-z0-9]+(?:(?:[ \t]*[-.·・][ \t]*|[ \t]+)[A-Za-z0-9]+)+{_EDGE[1]}")
_GROUP: Final = re.compile(r"[A-Za-z0-9]+")
_CAPITALS: Final = re.compile(rf"{_EDGE[0]}[A-Z]{{16,}}{_EDGE[1]}")
_MIXED: Final = re.compile(rf"{_EDGE[0]}(?=[A-Za-z0-9]*[A-Za-z])(?=[A-Za-z0-9]*\d)[A-Za-z0-9]{{12,}}{_EDGE[1]}")
_DIGITS: Final = re.compile(rf"{_EDGE[0]}\d{{16,19}}{_EDGE[1]}")
# Order numbers are a short prefix and digits (DD2026…, HF26…); trade numbers open with their date.
_ORDER_LIKE: Final = re.compile(r"[A-Za-z]{1,4}\d+")
_DATE_LED: Final = re.compile(r"20\d\d(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])")

Spot = tuple[int, int]  # (line, column)
Span = tuple[int, int]  # (start, end) within one string


def mask_lines(lines: Sequence[str], keys: Iterable[str] = (), visible: Iterable[str] = ()) -> tuple[str, ...]:
    """Return ``lines`` with each of ``keys`` in any spelling, and anything shaped like a key, masked in place.

    ``visible`` are values a person must read to compare (this order's number and trade
    number): the shape net leaves them alone; a known key is masked wherever it stands.
    """
    chars = [list(line) for line in lines]
    for spots in _known(_folded(chars), keys):
        for row, col in spots:
            chars[row][col] = "*"
    keep = frozenset(canonical(v) for v in visible if v)
    for row, text in enumerate(_folded(chars)):
        for start, end in _shapes(text):
            if canonical(text[start:end]) not in keep:
                _hide(chars, [(row, col) for col in range(start, end) if text[col] in _ASCII_ALNUM])
    for spots in _across(_folded(chars), keep):
        _hide(chars, spots)
    return tuple("".join(line) for line in chars)


def _folded(chars: Sequence[Sequence[str]]) -> list[str]:
    return ["".join(_fold(c) for c in line) for line in chars]


def _fold(char: str) -> str:
    # Full-width letters, digits and dashes are the same key; one character stays one.
    normal = unicodedata.normalize("NFKC", char)
    return normal if len(normal) == 1 else char


def _hide(chars: list[list[str]], spots: Sequence[Spot]) -> None:
    head, tail = shown_ends(len(spots))
    for line, col in spots[head : len(spots) - tail]:
        chars[line][col] = "*"


def _known(lines: Sequence[str], keys: Iterable[str]) -> Iterator[list[Spot]]:
    """Yield the letters and digits each key takes where it is found, across line breaks too, ends left out."""
    needles = sorted(set(_needles(keys)), key=lambda n: len(n[0]), reverse=True)
    if not needles:
        return
    spots: list[Spot | None] = []
    stream: list[str] = []
    for index, line in enumerate(lines):
        for col, char in enumerate(line):
            if char in _ASCII_ALNUM:
                spots.append((index, col))
                stream.append(canonical(char))
            elif char not in _BETWEEN:
                spots.append(None)
                stream.append(_BARRIER)
    text = "".join(stream)
    for needle, piecewise in needles:
        head, tail = shown_ends(len(needle))
        for start, offset, length in _found(text, needle, piecewise):
            yield [
                spot
                for spot, at in zip(spots[start : start + length], range(offset, offset + length), strict=True)
                if spot is not None and head <= at < len(needle) - tail
            ]


def _found(text: str, needle: str, piecewise: bool) -> Iterator[tuple[int, int, int]]:
    """Yield (start in text, start in needle, length) of the whole needle, or of a long piece of a long one.

    A piece is what the extractor may take from a wrapped key ("HN4KM8VB2" of HN4KM8VB2CX7LP9D)
    or what is left of a key when OCR misreads a character of it: masking only the whole key
    would leave those in clear.
    """
    size = _PIECE_MIN if piecewise and len(needle) >= _PIECES_FROM else len(needle)
    seen: set[tuple[int, int]] = set()
    for offset in range(len(needle) - size + 1):
        window = needle[offset : offset + size]
        start = text.find(window)
        while start >= 0:
            begin, at = start, offset
            while begin > 0 and at > 0 and text[begin - 1] == needle[at - 1]:
                begin, at = begin - 1, at - 1
            end = start + size
            while end < len(text) and end - begin + at < len(needle) and text[end] == needle[end - begin + at]:
                end += 1
            if (begin, at) not in seen:
                seen.add((begin, at))
                yield begin, at, end - begin
            start = text.find(window, start + 1)


def _needles(keys: Iterable[str]) -> Iterator[tuple[str, bool]]:
    """Yield each key to look for, and whether to look for its pieces too (a pair's parts, not the pair whole)."""
    for key in keys:
        if "*" in key:
            continue  # masked already: its hidden characters cannot be looked for
        whole = _squeeze(key)
        parts = [_squeeze(p) for p in _PARTS.split(key.strip())]
        if len(whole) >= _WHOLE_MIN:
            yield whole, len(parts) == 1
        if len(parts) > 1:
            yield from ((p, True) for p in parts if len(p) >= _PART_MIN)


def _squeeze(key: str) -> str:
    return "".join(canonical(c) for c in (_fold(c) for c in key) if c in _ASCII_ALNUM)


def _shapes(line: str) -> Iterator[Span]:
    """Yield the (start, end) spans of ``line`` shaped like a card key."""
    for m in _GROUPED.finditer(line):
        yield from _even_groups(m.group(), m.start())
    yield from (m.span() for m in _CAPITALS.finditer(line))
    yield from (m.span() for m in _MIXED.finditer(line) if not _ORDER_LIKE.fullmatch(m.group()))
    yield from (m.span() for m in _DIGITS.finditer(line) if not _DATE_LED.match(m.group()))


def _even_groups(run: str, offset: int) -> Iterator[Span]:
    """Yield the spans of ``run`` that are evenly grouped like a key, the last group maybe shorter."""
    groups = [(m.start(), m.end()) for m in _GROUP.finditer(run)]
    i = 0
    while i < len(groups):
        size = groups[i][1] - groups[i][0]
        j = i + 1
        while j < len(groups) and groups[j][1] - groups[j][0] == size:
            j += 1
        # 19-digit cards print as four fours and a three.
        ends = (j + 1, j) if j < len(groups) and 3 <= groups[j][1] - groups[j][0] < size else (j,)
        taken = next((end for end in ends if _keylike(run, groups[i:end], size)), None)
        if taken is None:
            i += 1
            continue
        yield offset + groups[i][0], offset + groups[taken - 1][1]
        i = taken


def _keylike(run: str, groups: Sequence[Span], size: int) -> bool:
    letters = "".join(run[s:e] for s, e in groups)
    if not (4 <= size <= 6 and len(groups) >= 3 and len(letters) >= 12):
        return False
    # Words are spaced, keys are dashed: lower case between spaces is prose ("your card code").
    spaced = any(not set(run[a:b]) & set("-.·・") for (_, a), (b, _) in pairwise(groups))
    if spaced and letters.upper() != letters:
        return False
    return any(c.isdigit() for c in letters) or (letters.isupper() and len(groups) >= 4)


def _across(lines: Sequence[str], keep: frozenset[str]) -> Iterator[list[Spot]]:
    """Yield grouped keys, capitals and digit runs that a line break cut in two, as the letters and digits they take."""
    for index in range(len(lines) - 1):
        first, second = lines[index], lines[index + 1]
        # The break may cut a group ("KM8F 3A|Q7 …") or fall between two ("… 3AQ7|XP2L …").
        for joint in ("", " "):
            joined = first + joint + second
            cut = len(first)
            for start, end in _shapes_across(joined):
                if start < cut and cut + len(joint) < end and canonical(joined[start:end]) not in keep:
                    yield [
                        (index, col) if col < cut else (index + 1, col - cut - len(joint))
                        for col in range(start, end)
                        if joined[col] in _ASCII_ALNUM and not (cut <= col < cut + len(joint))
                    ]


def _shapes_across(joined: str) -> Iterator[Span]:
    # Mixed runs are left out: joining two lines can fuse an order number with the next value.
    for m in _GROUPED.finditer(joined):
        yield from _even_groups(m.group(), m.start())
    yield from (m.span() for m in _CAPITALS.finditer(joined))
    yield from (m.span() for m in _DIGITS.finditer(joined) if not _DATE_LED.match(m.group()))
