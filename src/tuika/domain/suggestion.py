"""What the machine suggests a person decide, from what it found, when it would not decide itself.

The machine sends a claim to a person when a doubt or a missing fact stops it. It still knows
which way the facts lean: a supplier that confirms the key is dead settles the key whatever the
screenshot says; a key used after delivery was used by the buyer; a screenshot that backs
another claim is not evidence for this one. The suggestion names one action and the reason code
that action would be recorded with, and the findings that still deserve a look before agreeing.

>>> s = suggest({"supplier_card_invalid", "ocr_contradicts_order"}, refundable=True)
>>> (s.action.value, s.code, s.check)
('approve', 'supplier_confirmed_fault', ('ocr_contradicts_order',))
>>> suggest({"card_redeemed_after_delivery"}, refundable=True).action.value
'reject'
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

from tuika.domain.cases import DecisionAction

# Findings that make the screenshot itself doubtful; a person looks at them whatever is suggested.
DOUBTS: Final = (
    "evidence_reused",
    "evidence_names_other_order",
    "image_edited",
    "ocr_contradicts_order",
    "screenshot_time_before_payment",
    "screenshot_similar_to_other_claim",
    "buyer_history_flagged",
    "supplier_answers_contradict",
    "card_key_in_other_order",
)
# The supplier's own word that the key could not have worked for the buyer.
_SUPPLIER_FAULT: Final = ("supplier_card_invalid", "supplier_card_expired", "redeemed_before_delivery")
_USED_BY_BUYER: Final = ("card_redeemed_after_delivery", "card_reported_used")
_REUSED: Final = ("evidence_reused", "evidence_names_other_order")


@dataclass(frozen=True, slots=True)
class Suggestion:
    action: DecisionAction
    code: str
    check: tuple[str, ...] = ()


def suggest(codes: Collection[str], *, refundable: bool) -> Suggestion:
    """Return the decision the findings ``codes`` point to, and the doubts left to check."""
    found = frozenset(codes)
    doubts = tuple(c for c in DOUBTS if c in found)

    def leaving(*settled: str) -> tuple[str, ...]:
        return tuple(c for c in doubts if c not in settled)

    if not refundable:
        closed = "refund_window_closed" in found
        return Suggestion(DecisionAction.REJECT, "refund_window_closed" if closed else "reason_not_refundable", doubts)
    if any(c in found for c in _SUPPLIER_FAULT):
        # The key was dead in the supplier's own records: the refund is due even if the
        # screenshot is poor, but a reused one is worth a look before paying.
        return Suggestion(DecisionAction.APPROVE, "supplier_confirmed_fault", doubts)
    if any(c in found for c in _USED_BY_BUYER):
        return Suggestion(DecisionAction.REJECT, "card_used_by_buyer", doubts)
    if any(c in found for c in _REUSED):
        return Suggestion(DecisionAction.REJECT, "evidence_reused", leaving(*_REUSED))
    if "evidence_unreadable" in found or "evidence_missing" in found:
        code = "evidence_unreadable" if "evidence_unreadable" in found else "evidence_missing"
        return Suggestion(DecisionAction.REQUEST_EVIDENCE, code, doubts)
    if doubts:
        # An edited or contradicting screenshot with nothing from the supplier to settle the
        # key: ask for a clean one rather than guess either way.
        return Suggestion(DecisionAction.REQUEST_EVIDENCE, "evidence_insufficient", doubts)
    if "ocr_matches_order" in found:
        # The screenshot shows this order's key failing; an unused key is voided before payout.
        return Suggestion(DecisionAction.APPROVE, "evidence_confirms_claim")
    if "amount_above_auto_limit" in found and "card_unused_per_supplier" not in found:
        return Suggestion(DecisionAction.APPROVE, "policy_refundable")
    return Suggestion(DecisionAction.REQUEST_EVIDENCE, "evidence_insufficient")
