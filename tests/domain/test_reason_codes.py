import ast
import re
from importlib.resources import files

import pytest

from tuika.domain.reason_codes import (
    DIRECTIONS,
    REASON_CODES,
    WITHHELD_FROM_BUYERS,
    Direction,
    describe,
    is_known,
    split,
    withhold,
)

CJK = re.compile(r"[\u4e00-\u9fff]")

# What evaluate.py emits today, listed by hand so the source scan below is known to work.
EVALUATE_CODES = {
    "reason_not_refundable",
    "refund_window_closed",
    "items_already_claimed",
    "already_delivered",
    "already_activated",
    "card_usage_unverified",
    "delivery_pending_on_record",
    "delivery_recorded",
    "delivery_failed_on_record",
    "not_delivered_on_record",
    "unrevealed_key_unused",
    "needs_human_judgement",
    "amount_above_auto_limit",
    "evidence_missing",
    "buyer_fault_fee",
    "policy_refundable",
    "supplier_card_invalid",
    "supplier_card_expired",
    "redeemed_before_delivery",
    "card_redeemed_after_delivery",
    "card_reported_used",
    "card_unused_per_supplier",
    "card_already_voided",
    "supplier_answers_contradict",
    "supplier_unavailable",
    "upstream_topup_failed",
    "topup_reported_succeeded",
    "topup_processing",
}


def _string_literals(module_file: str) -> set[str]:
    """Return the string constants of a domain module, leaving out docstrings and enum member values."""
    tree = ast.parse(files("tuika.domain").joinpath(module_file).read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef) or not node.body:
            continue
        first = node.body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            skipped.add(id(first.value))
        if isinstance(node, ast.ClassDef):
            skipped.update(id(s.value) for s in node.body if isinstance(s, ast.Assign))
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped
    }


@pytest.mark.parametrize("code", sorted(REASON_CODES))
def test_every_code_reads_in_chinese_and_english(code: str) -> None:
    zh, en = REASON_CODES[code]

    assert re.fullmatch(r"[a-z]+(_[a-z]+)*", code)
    assert zh.strip() == zh
    assert en.strip() == en
    assert CJK.search(zh), zh
    assert not CJK.search(en), en
    assert en[0].isupper(), en
    assert describe(code) == (zh, en)
    assert is_known(code)


def test_an_unknown_code_describes_itself() -> None:
    assert describe("made_up") == ("made_up", "made_up")
    assert not is_known("made_up")
    assert not is_known("")


def test_the_texts_of_different_codes_differ() -> None:
    texts = list(REASON_CODES.values())

    assert len({zh for zh, _ in texts}) == len(texts)
    assert len({en for _, en in texts}) == len(texts)


def test_every_code_evaluate_can_emit_is_published() -> None:
    literals = _string_literals("evaluate.py") | _string_literals("verification.py")
    emitted = {s for s in literals if re.fullmatch(r"[a-z]+(_[a-z]+)+", s)}

    assert emitted >= EVALUATE_CODES
    assert sorted(c for c in emitted if not is_known(c)) == []


# Who reads each code: "buyer" where the buyer reads it as it is, else the stand-in the buyer reads
# in its place (staff read every code). Written out so that a new code cannot be added without
# deciding who may read it.
AUDIENCE = {
    "policy_refundable": "buyer",
    "reason_not_refundable": "buyer",
    "refund_window_closed": "buyer",
    "items_already_claimed": "buyer",
    "window_not_started": "buyer",
    "already_delivered": "buyer",
    "already_activated": "buyer",
    "delivery_failed_on_record": "buyer",
    "delivery_pending_on_record": "buyer",
    "delivery_recorded": "buyer",
    "not_delivered_on_record": "buyer",
    "unrevealed_key_unused": "buyer",
    "card_reported_used": "buyer",
    "card_usage_unverified": "buyer",
    "evidence_missing": "buyer",
    "supplier_card_invalid": "buyer",
    "supplier_card_expired": "buyer",
    "redeemed_before_delivery": "buyer",
    "card_redeemed_after_delivery": "buyer",
    "card_unused_per_supplier": "buyer",
    "card_already_voided": "buyer",
    "supplier_answers_contradict": "buyer",
    "evidence_being_checked": "buyer",
    "card_key_in_other_order": "order_needs_check",
    "supplier_unavailable": "buyer",
    "upstream_topup_failed": "buyer",
    "topup_reported_succeeded": "buyer",
    "topup_processing": "buyer",
    "evidence_reused": "screenshot_needs_check",
    "evidence_names_other_order": "screenshot_needs_check",
    "ocr_contradicts_order": "buyer",
    "screenshot_time_before_payment": "screenshot_needs_check",
    "screenshot_similar_to_other_claim": "screenshot_needs_check",
    "image_edited": "screenshot_needs_check",
    "ocr_matches_order": "buyer",
    "evidence_unreadable": "buyer",
    "buyer_history_flagged": "claim_needs_review",
    "card_voided_before_refund": "buyer",
    "card_redeemed_before_void": "buyer",
    "amount_above_auto_limit": "buyer",
    "needs_human_judgement": "buyer",
    "screenshot_needs_check": "buyer",
    "order_needs_check": "buyer",
    "claim_needs_review": "buyer",
    "not_approved_after_review": "buyer",
    "buyer_fault_fee": "buyer",
    "auto_approved": "buyer",
    "evidence_confirms_claim": "buyer",
    "evidence_insufficient": "buyer",
    "evidence_inconsistent": "buyer",
    "card_used_by_buyer": "buyer",
    "supplier_confirmed_fault": "buyer",
    "merchant_confirmed_fault": "buyer",
    "merchant_disputes": "buyer",
    "merchant_timeout": "buyer",
    "merchant_statement": "buyer",
    "replacement_offered": "buyer",
    "replacement_accepted": "buyer",
    "replacement_declined": "buyer",
    "replacement_unanswered": "buyer",
    "replaced_key_voided": "buyer",
    "replaced_key_not_voided": "buyer",
    "replaced_key_redeemed": "replaced_key_not_voided",
    "goodwill": "buyer",
    "policy_exception": "buyer",
    "duplicate_claim": "buyer",
    "suspected_fraud": "not_approved_after_review",
    "buyer_appeal": "buyer",
    "escalated_by_agent": "buyer",
    "evidence_deadline_passed": "buyer",
    "withdrawn_by_buyer": "buyer",
    "refunded_to_balance": "buyer",
    "refund_started": "buyer",
    "refunded_by_original_route": "buyer",
    "gateway_refund_failed": "buyer",
    "gateway_refund_abnormal": "buyer",
    "gateway_refund_resent": "buyer",
    "redirected_to_balance": "buyer",
    "gateway_limit_reached": "buyer",
    "gateway_refund_disputed": "buyer",
    "dispute_resolved_not_paid": "buyer",
    "review_overdue_escalated": "buyer",
}


def test_every_code_has_its_audience_decided() -> None:
    assert set(AUDIENCE) == set(REASON_CODES)


@pytest.mark.parametrize(("code", "shown"), sorted(AUDIENCE.items()))
def test_a_buyer_reads_each_code_as_its_audience_says(code: str, shown: str) -> None:
    expected = code if shown == "buyer" else shown

    assert withhold((code,)) == (expected,)
    assert AUDIENCE[expected] == "buyer"  # a stand-in is itself for buyers


def test_no_signal_that_gives_a_check_away_reaches_a_buyer() -> None:
    # The list: each tells a fraudster exactly what gave him away.
    telling = {
        "evidence_reused",
        "screenshot_similar_to_other_claim",
        "evidence_names_other_order",
        "image_edited",
        "buyer_history_flagged",
        "screenshot_time_before_payment",
        "card_key_in_other_order",
        "suspected_fraud",
    }

    assert telling <= WITHHELD_FROM_BUYERS
    assert telling.isdisjoint(withhold(tuple(REASON_CODES)))


def test_stand_ins_fold_into_one_line_each() -> None:
    assert withhold(("image_edited", "evidence_reused", "amount_above_auto_limit", "buyer_history_flagged")) == (
        "screenshot_needs_check",
        "amount_above_auto_limit",
        "claim_needs_review",
    )


@pytest.mark.parametrize("code", sorted(REASON_CODES))
def test_every_code_points_one_way(code: str) -> None:
    assert DIRECTIONS[code] in set(Direction)


def test_what_supports_the_claim_is_told_apart_from_why_a_person_looks() -> None:
    assert split(("screenshot_needs_check", "supplier_card_invalid")) == (
        ("screenshot_needs_check",),
        ("supplier_card_invalid",),
    )
    assert split(("refund_window_closed",)) == (("refund_window_closed",), ())
    # Nothing to tell it apart from: the facts are the reasons (an approval).
    assert split(("policy_refundable", "supplier_card_invalid", "auto_approved")) == (
        ("policy_refundable", "supplier_card_invalid", "auto_approved"),
        (),
    )
