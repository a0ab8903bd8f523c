"""Masking of mobile numbers and of the order's own accounts in what OCR read from a screenshot.

A carrier's record or an order page shows the number topped up, often in full. What is kept
of a read shows it as carriers mask it, ``138****8000``, each hidden digit a ``*`` where it
stood so the line keeps its layout, even when the number is wrapped onto the next line; an
order's other accounts (a QQ number, a game account) are masked as the order shows them to staff.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Final

from tuika.domain.masking import mask_account
from tuika.review.reading import EvidenceRead

# A mainland mobile number, maybe with +86 or 0086 and spaces or dashes, as a number of its own.
MOBILE: Final = re.compile(r"(?<![\d*])(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)")
_DIGITS: Final = re.compile(r"(?:(?:\+|00)?86)?(1[3-9]\d{9})")
# Shorter accounts would mask ordinary words and numbers of the screenshot.
_SHORTEST: Final = 4
_ALONE_BEFORE: Final = r"(?<![A-Za-z0-9_])"
_ALONE_AFTER: Final = r"(?![A-Za-z0-9_])"


def masked_accounts(text: str, accounts: Sequence[str]) -> str:
    """Return one line with each of ``accounts`` and every mobile number in it masked."""
    for account in sorted((a.strip() for a in accounts), key=len, reverse=True):
        if len(account) >= _SHORTEST and _mobile(account) is None:
            # Only the account as a word of its own: 12345678 inside a trade number stays.
            alone = rf"{_ALONE_BEFORE}{re.escape(account)}{_ALONE_AFTER}"
            text = re.sub(alone, mask_account(account).replace("\\", r"\\"), text)
    return MOBILE.sub(lambda m: _hide_middle(m.group()), text)


def masked_lines(lines: Sequence[str], accounts: Sequence[str]) -> list[str]:
    """Return the lines masked as ``masked_accounts`` does, an account that is a mobile number even across lines."""
    if any("\n" in line for line in lines):
        return [masked_accounts(line, accounts) for line in lines]
    text = "\n".join(lines)
    for number in {n for n in map(_mobile, accounts) if n is not None}:
        spread = r"(?<![\d*])" + r"[ -]*\n?[ -]*".join(number) + r"(?!\d)"
        text = re.sub(spread, lambda m: _hide_middle(m.group()), text)
    return [masked_accounts(line, accounts) for line in text.split("\n")]


def hide_accounts(read: EvidenceRead, accounts: Sequence[str]) -> EvidenceRead:
    """Return the read with its lines showing no mobile number and none of ``accounts`` in full."""
    texts = masked_lines([text for text, _, _ in read.lines], accounts)
    lines = tuple((text, box, confidence) for text, (_, box, confidence) in zip(texts, read.lines, strict=True))
    return replace(read, lines=lines)


def _mobile(account: str) -> str | None:
    found = _DIGITS.fullmatch(re.sub(r"[\s-]", "", account))
    return None if found is None else found.group(1)


def _hide_middle(number: str) -> str:
    # The last eleven digits are the number; its fourth to seventh digits are the hidden ones.
    digits = [i for i, c in enumerate(number) if c.isdigit()][-11:]
    hidden = set(digits[3:7])
    return "".join("*" if i in hidden else c for i, c in enumerate(number))
