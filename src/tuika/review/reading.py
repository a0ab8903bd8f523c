"""What the machine read from one screenshot, with every card key masked, and what that means.

A read is kept on the case so the buyer and the agent see the same thing the machine saw:
the lines with where they are, the fields found, and how each compares with the order.
Fields are compared with the order before anything is masked; what is kept is masked by
``keymask``: the order's own keys in any spelling, then anything shaped like a key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tuika.domain.ids import EvidenceId
from tuika.domain.masking import mask_card_key
from tuika.review.fields import Fields
from tuika.review.keymask import mask_lines
from tuika.review.matching import FieldMatch
from tuika.review.ocr import OcrText

# Fields that are text as read, and so may hold a key; the others are numbers, times or masked phones.
_TEXT_FIELDS = ("order_numbers", "card_keys", "error_codes")


@dataclass(frozen=True, slots=True)
class EvidenceRead:
    """One screenshot as the machine read it; nothing in it shows a card key in clear."""

    evidence_id: EvidenceId
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


def masked_text(text: str, keys: Iterable[str], visible: Iterable[str] = ()) -> str:
    """Return ``text`` with each key found in it in any spelling, and anything shaped like one, masked."""
    return "\n".join(mask_lines(text.split("\n"), keys, visible))


def build_read(
    evidence_id: EvidenceId,
    engine: str,
    ocr: OcrText,
    fields: Fields,
    matches: Sequence[FieldMatch],
    codes: Sequence[str],
    at: datetime,
    keys: Sequence[str] = (),
) -> EvidenceRead:
    """Return the read to keep: lines, fields and matches masked with the order's ``keys`` and the keys read."""
    known = [*keys, *fields.card_keys]
    compared = tuple(
        {
            "field": m.field,
            "read": _masked_key(m.read, known) if m.field == "card_key" else m.read,
            "expected": m.expected,
            "matches": m.matches,
            "code": m.code,
            "item_id": m.item_id,
            "corrections": m.corrections,
        }
        for m in matches
    )
    shown: dict[str, list[str]] = {
        "order_numbers": list(fields.order_numbers),
        "card_keys": [_masked_key(k, known) for k in fields.card_keys],
        "error_codes": list(fields.error_codes),
        "error_texts": [key for key, _ in fields.error_texts],
        "amounts_fen": [str(m.fen) for m in fields.amounts],
        "times": [t.isoformat() for t in fields.times],
        "phones": [p[:3] + "****" + p[-4:] for p in fields.phones],
    }
    lines = tuple((line.text, line.box, round(line.confidence, 3)) for line in ocr.lines)
    read = EvidenceRead(evidence_id, engine, lines, shown, compared, tuple(dict.fromkeys(codes)), at)
    return remask(read, known)


def remask(read: EvidenceRead, keys: Sequence[str]) -> EvidenceRead:
    """Return ``read`` with ``keys`` in any spelling, and anything shaped like a key, masked; masked stays masked."""
    visible = _visible(read.matches)
    texts = mask_lines([text for text, _, _ in read.lines], keys, visible)
    lines = tuple((text, box, confidence) for text, (_, box, confidence) in zip(texts, read.lines, strict=True))
    fields = {
        name: [masked_text(v, keys, visible) for v in values] if name in _TEXT_FIELDS else list(values)
        for name, values in read.fields.items()
    }
    matches = tuple(_remasked_match(m, keys, visible) for m in read.matches)
    return EvidenceRead(read.evidence_id, read.engine, lines, fields, matches, read.codes, read.at)


def _masked_key(read: str, known: Sequence[str]) -> str:
    # As read, masked where it shows a known key or a piece of one; else in the usual masked form.
    masked = masked_text(read, known)
    return masked if "*" in masked else mask_card_key(read)


def _visible(matches: Iterable[Mapping[str, Any]]) -> list[str]:
    # This order's own number and trade number: a person compares them, and they are no secret.
    shown = []
    for m in matches:
        if m.get("field") == "order_number":
            shown.append(str(m.get("expected") or ""))
            if m.get("matches"):
                shown.append(str(m.get("read") or ""))
    return shown


def _remasked_match(m: Mapping[str, Any], keys: Sequence[str], visible: Sequence[str]) -> Mapping[str, Any]:
    if m.get("field") not in ("order_number", "card_key"):
        return m
    again = dict(m)
    for name in ("read", "expected"):
        if isinstance(m.get(name), str):
            again[name] = masked_text(m[name], keys, visible)
    return again
