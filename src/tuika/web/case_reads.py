"""What the machine read from each screenshot of a case, as its buyer sees it: plain words, keys masked.

Only the reads' own findings about the text are shown, in neutral words; forensic hints about
the image itself stay with the agents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from tuika.review.reading import EvidenceRead
from tuika.review.verdicts import Verdict, field_verdicts
from tuika.services.ports import EvidenceRecord
from tuika.web import i18n
from tuika.web.session import shanghai

# What a screenshot's read may tell its buyer, each in neutral words of the catalogue.
READ_NOTES: Final = ("ocr_matches_order", "ocr_contradicts_order", "evidence_names_other_order", "evidence_unreadable")
# The sign before a comparison's words; a value only read has none.
SIGNS: Final[dict[Verdict, str]] = {"match": "✓", "mismatch": "✗", "info": ""}


@dataclass(frozen=True, slots=True)
class ReadRow:
    """One value the machine read from a screenshot, and how it compares with the order."""

    field: str
    value: str
    said: str
    verdict: Verdict
    # The field's name (order_number, time…), as the console's marks carry it too.
    name: str = ""

    @property
    def verdict_text(self) -> str:
        """Return the comparison in words, led by the sign of its verdict."""
        sign = SIGNS[self.verdict]
        return f"{sign} {self.said}" if sign else self.said


@dataclass(frozen=True, slots=True)
class Shot:
    """One evidence file with what was read from it."""

    id: str
    kind: str
    width: int
    height: int
    uploaded: str
    read: bool
    rows: tuple[ReadRow, ...]
    notes: tuple[str, ...]
    text: str


def shot(record: EvidenceRecord, read: EvidenceRead | None, lang: i18n.Lang) -> Shot:
    """Return one evidence file of the case with what was read from it, if it was read."""
    kind = i18n.text(lang, f"evidence.{record.kind.value}") if record.kind else i18n.text(lang, "case.kind_unknown")
    return Shot(
        id=record.id,
        kind=kind,
        width=record.width,
        height=record.height,
        uploaded=shanghai(record.created_at),
        read=read is not None,
        rows=() if read is None else tuple(read_rows(read, lang)),
        notes=() if read is None else tuple(i18n.text(lang, f"case.read.{c}") for c in READ_NOTES if c in read.codes),
        text="" if read is None else read.text,
    )


def read_rows(read: EvidenceRead, lang: i18n.Lang) -> list[ReadRow]:
    """Return each value read with the verdict the console shows too, in plain words."""
    return [
        ReadRow(
            field=i18n.text(lang, f"case.field.{f.field}"),
            value=_value(f.field, f.read, lang),
            said=_said(f.code, lang)
            + (i18n.formatted(lang, "case.corrections", n=f.corrections) if f.corrections else ""),
            verdict=f.verdict,
            name=f.field,
        )
        for f in field_verdicts(read)
    ]


def _said(code: str | None, lang: i18n.Lang) -> str:
    wording = f"case.match.{code}"
    return i18n.text(lang, wording if code and wording in i18n.CATALOGUE else "case.match.found")


def _error_text(key: str, lang: i18n.Lang) -> str:
    wording = f"case.error_text.{key}"
    return i18n.text(lang, wording) if wording in i18n.CATALOGUE else key


def _value(field: str, read: str, lang: i18n.Lang) -> str:
    if field == "error_text":
        return _error_text(read, lang)
    if field == "amount":
        return f"¥{read}"
    if field == "time":
        try:
            return shanghai(datetime.fromisoformat(read))
        except ValueError:
            return read
    return read
