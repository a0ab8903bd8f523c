"""The machine's suggestion to a person: which way the findings lean, and what is left to check."""

from __future__ import annotations

import pytest

from tuika.domain.cases import DecisionAction
from tuika.domain.reason_codes import describe
from tuika.domain.suggestion import DOUBTS, suggest

A, R, E = DecisionAction.APPROVE, DecisionAction.REJECT, DecisionAction.REQUEST_EVIDENCE


@pytest.mark.parametrize(
    ("codes", "action", "code", "check"),
    [
        ({"supplier_card_invalid"}, A, "supplier_confirmed_fault", ()),
        ({"redeemed_before_delivery", "image_edited"}, A, "supplier_confirmed_fault", ("image_edited",)),
        ({"card_redeemed_after_delivery"}, R, "card_used_by_buyer", ()),
        ({"card_reported_used", "ocr_matches_order"}, R, "card_used_by_buyer", ()),
        ({"evidence_reused", "card_unused_per_supplier"}, R, "evidence_reused", ()),
        ({"evidence_names_other_order", "image_edited"}, R, "evidence_reused", ("image_edited",)),
        ({"evidence_unreadable"}, E, "evidence_unreadable", ()),
        ({"evidence_missing"}, E, "evidence_missing", ()),
        ({"ocr_contradicts_order", "card_unused_per_supplier"}, E, "evidence_insufficient", ("ocr_contradicts_order",)),
        ({"card_unused_per_supplier", "ocr_matches_order"}, A, "evidence_confirms_claim", ()),
        ({"amount_above_auto_limit", "supplier_unavailable"}, A, "policy_refundable", ()),
        ({"card_unused_per_supplier"}, E, "evidence_insufficient", ()),
        (set(), E, "evidence_insufficient", ()),
    ],
)
def test_the_findings_point_one_way_and_leave_their_doubts_to_check(
    codes: set[str], action: DecisionAction, code: str, check: tuple[str, ...]
) -> None:
    suggestion = suggest(codes, refundable=True)

    assert (suggestion.action, suggestion.code, suggestion.check) == (action, code, check)


def test_a_claim_the_policy_does_not_cover_is_suggested_for_rejection() -> None:
    assert suggest({"refund_window_closed"}, refundable=False).code == "refund_window_closed"
    assert suggest({"supplier_card_invalid"}, refundable=False).code == "reason_not_refundable"


def test_every_code_a_suggestion_can_name_is_described() -> None:
    named = {s.code for s in (suggest({c}, refundable=r) for c in [*DOUBTS, "x"] for r in (True, False))}
    for code in [*named, *DOUBTS]:
        assert describe(code)[0] != code
