"""What the machine read from one screenshot, with every card key masked, and what that means.

A read is kept on the case so the buyer and the agent see the same thing the machine saw:
the lines with where they are, the fields found, and how each compares with the order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tuika.domain.masking import mask_card_key
from tuika.review.fields import Fields
from tuika.review.matching import FieldMatch
from tuika.review.ocr import OcrText

# Long letter-and-digit runs that look like a key even when extraction missed them.
_KEYLIKE = re.compile(r"(?<![A-Za-z0-9])(?=[A-Za-z0-9-]*\d)[A-Za-z0-9]{4}(?:-?[A-Za-z0-9]{4,5}){2,5}(?![A-Za-z0-9])")


@dataclass(frozen=True, slots=True)
class EvidenceRead:
    """One screenshot as the machine read it; nothing in it shows a card key in clear."""

    evidence_id: str
    engine: str
    lines: tuple[tuple[str, tuple[int, int, int, int], float], ...]
    fields: Mapping[str, Sequence[str]]
    matches: tuple[Mapping[str, Any], ...]
    codes: tuple[str, ...]
    at: datetime

    @property
    def text(self) -> str:
        """Return the masked lines joined top to bottom."""
        return "\n".join(line for line, _, _ in self.lines)


def masked_text(text: str, keys: Sequence[str]) -> str:
    """Return ``text`` with each key found in it, and anything shaped like one, masked."""
    for key in sorted(keys, key=len, reverse=True):
        text = text.replace(key, mask_card_key(key))
    return _KEYLIKE.sub(lambda m: mask_card_key(m.group(0)) if len(m.group(0)) >= 12 else m.group(0), text)


def build_read(
    evidence_id: str,
    engine: str,
    ocr: OcrText,
    fields: Fields,
    matches: Sequence[FieldMatch],
    codes: Sequence[str],
    at: datetime,
) -> EvidenceRead:
    """Return the read to keep, with the card keys masked in lines, fields and matches."""
    keys = list(fields.card_keys)
    lines = tuple((masked_text(line.text, keys), line.box, round(line.confidence, 3)) for line in ocr.lines)
    shown: dict[str, list[str]] = {
        "order_numbers": list(fields.order_numbers),
        "card_keys": [mask_card_key(k) for k in fields.card_keys],
        "error_codes": list(fields.error_codes),
        "error_texts": [key for key, _ in fields.error_texts],
        "amounts_fen": [str(m.fen) for m in fields.amounts],
        "times": [t.isoformat() for t in fields.times],
        "phones": [p[:3] + "****" + p[-4:] for p in fields.phones],
    }
    compared = tuple(
        {
            "field": m.field,
            "read": mask_card_key(m.read) if m.field == "card_key" else m.read,
            "expected": m.expected,
            "matches": m.matches,
            "code": m.code,
            "item_id": m.item_id,
        }
        for m in matches
    )
    return EvidenceRead(evidence_id, engine, lines, shown, compared, tuple(dict.fromkeys(codes)), at)
