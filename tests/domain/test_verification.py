"""The supplier's records in ``evaluate``: what settles a claim, what rejects it, what needs a person."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.support.builders import DELIVERED_AT, PAID_AT, claim, default_policy, order
from tuika.domain.evaluate import Outcome, Path, Signals, evaluate
from tuika.domain.orders import DeliveryStatus, Order, OrderItem, ProductKind
from tuika.domain.policy import EvidenceKind, Reason
from tuika.domain.supplier import CardAnswer, CardState, TopupAnswer, TopupState

POLICY = default_policy()
NOW = DELIVERED_AT + timedelta(hours=1)
SHOT = (EvidenceKind.ERROR_SCREENSHOT,)
BEFORE = DELIVERED_AT - timedelta(minutes=1)
AFTER = DELIVERED_AT + timedelta(minutes=30)


def card_claim(*answers: CardAnswer, evidence: tuple[EvidenceKind | None, ...] = SHOT, **signals: Any) -> Outcome:
    delivered = order()
    found = {"oi_1": answers} if answers else {}
    return evaluate(
        delivered,
        claim(Reason.CARD_INVALID, delivered, evidence=evidence),
        POLICY,
        NOW,
        Signals(cards=found, **signals),
    )


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (CardAnswer(CardState.INVALID), "supplier_card_invalid"),
        (CardAnswer(CardState.EXPIRED), "supplier_card_expired"),
        (CardAnswer(CardState.REDEEMED, BEFORE, "138****0000"), "redeemed_before_delivery"),
    ],
)
def test_a_supplier_record_of_a_bad_key_approves_without_a_person(answer: CardAnswer, code: str) -> None:
    outcome = card_claim(answer)

    assert (outcome.path, outcome.reason_codes) == (Path.AUTO_APPROVE, ("policy_refundable", code))


def test_the_suppliers_record_settles_the_claim_without_the_screenshot() -> None:
    outcome = card_claim(CardAnswer(CardState.INVALID), evidence=())

    assert outcome.path is Path.AUTO_APPROVE
    assert outcome.missing_evidence == ()


def test_a_key_redeemed_after_delivery_is_rejected_where_used_keys_are_not_refundable() -> None:
    outcome = card_claim(CardAnswer(CardState.REDEEMED, AFTER, "广东"))

    assert (outcome.path, outcome.reason_codes) == (Path.REJECT, ("card_redeemed_after_delivery",))


def test_a_redemption_without_a_time_is_not_conclusive_and_goes_to_a_person() -> None:
    outcome = card_claim(CardAnswer(CardState.REDEEMED))

    assert (outcome.path, outcome.reason_codes) == (Path.MANUAL_REVIEW, ("card_reported_used",))


@pytest.mark.parametrize(
    ("answers", "signals", "code"),
    [
        ((), {"supplier_unavailable": True}, "supplier_unavailable"),
        ((), {}, "card_usage_unverified"),
        ((CardAnswer(CardState.UNUSED),), {}, "card_unused_per_supplier"),
        ((CardAnswer(CardState.UNUSED), CardAnswer(CardState.REDEEMED, AFTER)), {}, "supplier_answers_contradict"),
        ((CardAnswer(CardState.VOIDED),), {}, "card_already_voided"),
    ],
)
def test_anything_the_supplier_leaves_unclear_goes_to_a_person_never_to_a_rejection(
    answers: tuple[CardAnswer, ...], signals: dict[str, Any], code: str
) -> None:
    outcome = card_claim(*answers, **signals)

    assert (outcome.path, outcome.reason_codes) == (Path.MANUAL_REVIEW, (code,))


def test_doubts_from_the_evidence_stop_an_automatic_approval_but_never_reject() -> None:
    outcome = card_claim(CardAnswer(CardState.INVALID), doubts=("evidence_reused", "ocr_contradicts_order"))

    assert outcome.path is Path.MANUAL_REVIEW
    assert outcome.reason_codes == ("evidence_reused", "ocr_contradicts_order", "supplier_card_invalid")


def test_one_used_key_among_bad_ones_sends_the_claim_to_a_person() -> None:
    two = order(n_items=2, amount=20_000)
    answers = {"oi_1": (CardAnswer(CardState.INVALID),), "oi_2": (CardAnswer(CardState.REDEEMED, AFTER),)}

    outcome = evaluate(two, claim(Reason.CARD_INVALID, two, evidence=SHOT), POLICY, NOW, Signals(cards=answers))

    assert (outcome.path, outcome.reason_codes) == (
        Path.MANUAL_REVIEW,
        ("card_redeemed_after_delivery", "supplier_card_invalid"),
    )


def topup_order() -> Order:
    return order(kind=ProductKind.DIRECT_TOPUP, items=(OrderItem("oi_1", account_enc="enc:account"),))


def topup_claim(answer: TopupAnswer | None, evidence: tuple[EvidenceKind | None, ...] = (), **signals: Any) -> Outcome:
    topup = topup_order()
    found = {} if answer is None else {"oi_1": answer}
    return evaluate(
        topup,
        claim(Reason.NOT_DELIVERED, topup, evidence=evidence),
        POLICY,
        PAID_AT + timedelta(hours=2),
        Signals(topups=found, **signals),
    )


def test_a_top_up_the_upstream_says_failed_is_approved_in_full() -> None:
    outcome = topup_claim(TopupAnswer(TopupState.FAILED))

    assert (outcome.path, outcome.reason_codes) == (Path.AUTO_APPROVE, ("policy_refundable", "upstream_topup_failed"))
    assert outcome.payout == outcome.refundable


def test_a_top_up_reported_successful_asks_for_the_carrier_record() -> None:
    outcome = topup_claim(TopupAnswer(TopupState.SUCCEEDED, "CMCC-1"))

    assert outcome.path is Path.REQUEST_EVIDENCE
    assert outcome.reason_codes == ("evidence_missing", "topup_reported_succeeded")
    assert outcome.missing_evidence == (EvidenceKind.CARRIER_RECORD,)


def test_a_top_up_reported_successful_with_a_carrier_record_goes_to_a_person() -> None:
    outcome = topup_claim(TopupAnswer(TopupState.SUCCEEDED), evidence=(EvidenceKind.CARRIER_RECORD,))

    assert (outcome.path, outcome.reason_codes) == (Path.MANUAL_REVIEW, ("topup_reported_succeeded",))


@pytest.mark.parametrize(
    ("answer", "signals", "code"),
    [
        (TopupAnswer(TopupState.PROCESSING), {}, "topup_processing"),
        (None, {"supplier_unavailable": True}, "supplier_unavailable"),
        (None, {}, "delivery_recorded"),
    ],
)
def test_an_unsettled_top_up_goes_to_a_person(
    answer: TopupAnswer | None, signals: dict[str, object], code: str
) -> None:
    outcome = topup_claim(answer, evidence=(EvidenceKind.CARRIER_RECORD,), **signals)

    assert (outcome.path, outcome.reason_codes) == (Path.MANUAL_REVIEW, (code,))


def test_a_failed_delivery_on_our_record_needs_no_supplier() -> None:
    failed = order(kind=ProductKind.DIRECT_TOPUP, delivery=DeliveryStatus.FAILED)

    outcome = evaluate(failed, claim(Reason.NOT_DELIVERED, failed), POLICY, PAID_AT + timedelta(hours=1))

    assert (outcome.path, outcome.reason_codes) == (
        Path.AUTO_APPROVE,
        ("policy_refundable", "delivery_failed_on_record"),
    )
