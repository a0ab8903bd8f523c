"""What the machine read from each screenshot of a case, as its buyer sees it: plain words, keys masked.

Only the reads' own findings about the text are shown, in neutral words; forensic hints about
the image itself stay with the agents.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from tuika.review.reading import EvidenceRead
from tuika.services.ports import EvidenceRecord
from tuika.web import i18n
from tuika.web.session import shanghai

# What a screenshot's read may tell its buyer, each in neutral words of the catalogue.
READ_NOTES: Final = ("ocr_matches_order", "ocr_contradicts_order", "evidence_names_other_order", "evidence_unreadable")


@dataclass(frozen=True, slots=True)
class ReadRow:
    """One value the machine read from a screenshot, and how it compares with the order."""

    field: str
    value: str
    verdict: str
    matches: bool | None


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
    """Return each value read, compared with the order where it can be, in plain words."""
    rows = [
        ReadRow(
            field=i18n.text(lang, f"case.field.{m['field']}"),
            value=_value(str(m["field"]), str(m["read"])),
            verdict=i18n.text(lang, f"case.match.{m['code']}"),
            matches=bool(m["matches"]),
        )
        for m in read.matches
    ]
    rows.extend(_found(read.fields.get("error_codes", ()), "error_code", lang, lambda v: v))
    rows.extend(_found(read.fields.get("error_texts", ()), "error_text", lang, lambda v: _error_text(v, lang)))
    rows.extend(_found(read.fields.get("phones", ()), "phone", lang, lambda v: v))
    return rows


def _found(values: Sequence[str], field: str, lang: i18n.Lang, shown: Callable[[str], str]) -> list[ReadRow]:
    label = i18n.text(lang, f"case.field.{field}")
    return [ReadRow(label, shown(v), i18n.text(lang, "case.match.found"), None) for v in values]


def _error_text(key: str, lang: i18n.Lang) -> str:
    wording = f"case.error_text.{key}"
    return i18n.text(lang, wording) if wording in i18n.CATALOGUE else key


def _value(field: str, read: str) -> str:
    if field == "amount":
        return f"¥{read}"
    if field == "time":
        try:
            return shanghai(datetime.fromisoformat(read))
        except ValueError:
            return read
    return read
