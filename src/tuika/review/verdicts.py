"""How each field read from a screenshot stands against the order: the one verdict every page shows.

The agent's console and the buyer's case page both list what was read from a screenshot. Each
used to decide on its own whether a value agreed with the order, and the same read could be
"✗ contradicts" on one and "✓ after the payment" on the other. Both now list ``field_verdicts``
of the read and only choose words for it.

>>> verdict({"code": "time_after_payment", "matches": False})
'match'
>>> verdict({"code": "amount_differs", "matches": False})
'mismatch'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from tuika.review.reading import EvidenceRead

# match: the value agrees with the order; mismatch: it contradicts it; info: read, nothing to compare.
Verdict = Literal["match", "mismatch", "info"]

# One verdict for every ``MatchCode`` (a test holds the two equal). Keyed by the code rather than
# by the stored ``matches`` flag, so that a read kept before a code's meaning was settled (a time
# after the payment was once called a mismatch) reads as it does now.
VERDICTS: Final[Mapping[str, Verdict]] = {
    "order_number_matches": "match",
    "order_number_is_transaction": "match",
    "order_number_differs": "mismatch",
    "card_key_matches": "match",
    "card_key_not_in_order": "mismatch",
    "amount_matches_order": "match",
    "amount_matches_item": "match",
    "amount_matches_face_value": "match",
    "amount_in_title": "info",
    "amount_differs": "mismatch",
    "time_near_paid_at": "match",
    "time_near_delivered_at": "match",
    # A failed redemption is tried some time after the purchase: nothing in it contradicts the order.
    "time_after_payment": "match",
    "time_before_payment": "mismatch",
}
# Fields only read, never compared: what the screen said went wrong, and a masked phone number.
_ONLY_READ: Final = (("error_codes", "error_code"), ("error_texts", "error_text"), ("phones", "phone"))


@dataclass(frozen=True, slots=True)
class FieldVerdict:
    """One value read from a screenshot (masked as kept), what the order says, and the verdict."""

    field: str
    read: str
    expected: str | None
    verdict: Verdict
    # The comparison's code (``MatchCode``), None for a field only read.
    code: str | None = None
    # Characters the comparison forgave as misread on a long number (``matching.tolerance``).
    corrections: int = 0


def verdict(compared: Mapping[str, Any]) -> Verdict:
    """Return whether a stored comparison agrees with the order, contradicts it, or only informs."""
    code = compared.get("code")
    if isinstance(code, str) and code in VERDICTS:
        return VERDICTS[code]
    if "matches" not in compared or compared["matches"] is None:
        return "info"
    return "match" if compared["matches"] else "mismatch"


def field_verdicts(read: EvidenceRead) -> tuple[FieldVerdict, ...]:
    """Return every compared field of ``read`` with its verdict, then every field only read."""
    compared = tuple(
        FieldVerdict(
            field=str(m["field"]),
            read=str(m["read"]),
            expected=None if m.get("expected") is None else str(m["expected"]),
            verdict=verdict(m),
            code=None if m.get("code") is None else str(m["code"]),
            corrections=int(m.get("corrections") or 0),
        )
        for m in read.matches
    )
    only_read = tuple(
        FieldVerdict(field, str(value), None, "info") for key, field in _ONLY_READ for value in read.fields.get(key, ())
    )
    return compared + only_read
