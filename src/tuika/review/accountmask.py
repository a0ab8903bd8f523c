"""Masking of mobile numbers and of the order's own accounts in what OCR read from a screenshot.

A carrier's record or an order page shows the number topped up, often in full. What is kept
of a read shows it as carriers mask it, ``138****8000``, each hidden digit a ``*`` where it
stood so the line keeps its layout; an order's other accounts (a QQ number, a game account)
are masked as the order shows them to staff.
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
# Shorter accounts would mask ordinary words and numbers of the screenshot.
_SHORTEST: Final = 4
_ALONE_BEFORE: Final = r"(?<![A-Za-z0-9_])"
_ALONE_AFTER: Final = r"(?![A-Za-z0-9_])"


def masked_accounts(text: str, accounts: Sequence[str]) -> str:
    """Return ``text`` with each of ``accounts`` and every mobile number in it masked."""
    for account in sorted((a.strip() for a in accounts), key=len, reverse=True):
        if len(account) >= _SHORTEST and not MOBILE.fullmatch(account):
            # Only the account as a word of its own: 12345678 inside a trade number stays.
            alone = rf"{_ALONE_BEFORE}{re.escape(account)}{_ALONE_AFTER}"
            text = re.sub(alone, mask_account(account).replace("\\", r"\\"), text)
    return MOBILE.sub(lambda m: _hide_middle(m.group()), text)


def hide_accounts(read: EvidenceRead, accounts: Sequence[str]) -> EvidenceRead:
    """Return the read with its lines showing no mobile number and none of ``accounts`` in full."""
    lines = tuple((masked_accounts(text, accounts), box, confidence) for text, box, confidence in read.lines)
    return replace(read, lines=lines)


def _hide_middle(number: str) -> str:
    # The last eleven digits are the number; its fourth to seventh digits are the hidden ones.
    digits = [i for i, c in enumerate(number) if c.isdigit()][-11:]
    hidden = set(digits[3:7])
    return "".join("*" if i in hidden else c for i, c in enumerate(number))
