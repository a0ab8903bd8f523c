"""What the machine found while reviewing a case, kept on the case for buyers and agents to see."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

Fact = str | int | float | bool | None


class FindingKind(StrEnum):
    SUPPLIER_CARD = "supplier_card"
    SUPPLIER_TOPUP = "supplier_topup"
    SUPPLIER_UNAVAILABLE = "supplier_unavailable"
    SUPPLIER_VOID = "supplier_void"
    OCR = "ocr"
    FORENSICS = "forensics"
    HISTORY = "history"
    DELIVERY = "delivery"  # what the platform delivered: a key that sits in another order too


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the machine saw: about an item, a piece of evidence or the buyer, never a card key in clear."""

    kind: FindingKind
    subject: str
    at: datetime
    facts: Mapping[str, Fact] = field(default_factory=dict)
    codes: tuple[str, ...] = ()
