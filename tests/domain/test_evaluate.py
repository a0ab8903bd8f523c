from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.builders import DELIVERED_AT, PAID_AT, claim, default_policy, default_policy_doc, item, order
from tuika.domain.evaluate import Claim, Outcome, Path, Signals, evaluate
from tuika.domain.money import Money
from tuika.domain.orders import DeliveryStatus, Order, ProductKind, resolve_items
from tuika.domain.policy import EvidenceKind, LiableParty, Policy, Reason, parse_policy
from tuika.domain.reason_codes import is_known
from tuika.domain.reveals import Standing, standing
from tuika.domain.supplier import CardAnswer, CardState, TopupAnswer, TopupState

K = ProductKind
R = Reason
D = DeliveryStatus
E = EvidenceKind
POLICY = default_policy()
INVALID_KEY = Signals(cards={"oi_1": (CardAnswer(CardState.INVALID),)})
USED_KEY = Signals(cards={"oi_1": (CardAnswer(CardState.REDEEMED),)})


def test_a_failed_delivery_is_approved_on_our_record_without_evidence() -> None:
    failed = order(delivery=D.FAILED)

    outcome = evaluate(failed, claim(R.NOT_DELIVERED, failed), POLICY, PAID_AT + timedelta(hours=1))

    assert outcome == Outcome(
        eligible=True,
        path=Path.AUTO_APPROVE,
        reason_codes=("policy_refundable", "delivery_failed_on_record"),
        policy_version=1,
        deadline=PAID_AT + timedelta(hours=24),
        missing_evidence=(),
        refundable=Money(10_000),
        fee=Money(0),
        liable=LiableParty.SUPPLIER,
        items=("oi_1",),
    )
    assert outcome.payout == Money(10_000)


@pytest.mark.parametrize(
    ("kind", "liable"),
    [
        (K.DIRECT_TOPUP, LiableParty.SUPPLIER),
        (K.MANUAL_TOPUP, LiableParty.MERCHANT),
        (K.MEMBERSHIP, LiableParty.SUPPLIER),
    ],
)
def test_a_failed_delivery_of_any_kind_is_approved_automatically(kind: ProductKind, liable: LiableParty) -> None:
    failed = order(kind=kind, delivery=D.FAILED)

    outcome = evaluate(failed, claim(R.NOT_DELIVERED, failed), POLICY, PAID_AT + timedelta(hours=23))

    assert (outcome.path, outcome.reason_codes) == (
        Path.AUTO_APPROVE,
        ("policy_refundable", "delivery_failed_on_record"),
    )
    assert outcome.liable is liable
    assert outcome.missing_evidence == ()


def test_the_window_is_open_up_to_and_including_its_deadline() -> None:
    failed = order(delivery=D.FAILED)
    deadline = PAID_AT + timedelta(hours=24)

    at_deadline = evaluate(failed, claim(R.NOT_DELIVERED, failed), POLICY, deadline)
    just_after = evaluate(failed, claim(R.NOT_DELIVERED, failed), POLICY, deadline + timedelta(microseconds=1))

    assert at_deadline.path is Path.AUTO_APPROVE
    assert just_after == Outcome(
        eligible=False,
        path=Path.REJECT,
        reason_codes=("refund_window_closed",),
        policy_version=1,
        deadline=deadline,
        missing_evidence=(),
        refundable=Money(10_000),
        fee=Money(0),
        liable=LiableParty.SUPPLIER,
        items=("oi_1",),
    )


def test_a_closed_window_rejects_even_when_evidence_is_missing() -> None:
    delivered = order()

    outcome = evaluate(delivered, claim(R.CARD_INVALID, delivered), POLICY, DELIVERED_AT + timedelta(hours=73))

    assert outcome.path is Path.REJECT
    assert outcome.eligible is False
    assert outcome.reason_codes == ("refund_window_closed",)
    assert outcome.deadline == DELIVERED_AT + timedelta(hours=72)


def test_card_invalid_without_evidence_asks_for_the_error_screenshot() -> None:
    delivered = order()

    outcome = evaluate(delivered, claim(R.CARD_INVALID, delivered), POLICY, DELIVERED_AT + timedelta(hours=1))

    assert outcome == Outcome(
        eligible=True,
        path=Path.REQUEST_EVIDENCE,
        reason_codes=("evidence_missing", "card_usage_unverified"),
        policy_version=1,
        deadline=DELIVERED_AT + timedelta(hours=72),
        missing_evidence=(E.ERROR_SCREENSHOT,),
        refundable=Money(10_000),
        fee=Money(0),
        liable=LiableParty.SUPPLIER,
        items=("oi_1",),
    )


def test_card_invalid_with_evidence_goes_to_a_person_while_usage_is_unverified() -> None:
    delivered = order()
    with_screenshot = claim(R.CARD_INVALID, delivered, evidence=(E.ERROR_SCREENSHOT,))

    outcome = evaluate(delivered, with_screenshot, POLICY, DELIVERED_AT + timedelta(hours=1))

    assert outcome.path is Path.MANUAL_REVIEW
    assert outcome.reason_codes == ("card_usage_unverified",)
    assert outcome.missing_evidence == ()
    assert outcome.eligible is True


def test_card_invalid_with_evidence_and_a_key_the_supplier_calls_invalid_is_approved() -> None:
    delivered = order()
    with_screenshot = claim(R.CARD_INVALID, delivered, evidence=(E.ERROR_SCREENSHOT,))

    outcome = evaluate(
        delivered,
        with_screenshot,
        POLICY,
        DELIVERED_AT + timedelta(hours=1),
        INVALID_KEY,
    )

    assert (outcome.path, outcome.reason_codes) == (Path.AUTO_APPROVE, ("policy_refundable", "supplier_card_invalid"))


def test_a_card_reported_as_used_is_never_approved_automatically() -> None:
    delivered = order()
    with_screenshot = claim(R.CARD_INVALID, delivered, evidence=(E.ERROR_SCREENSHOT,))

    outcome = evaluate(
        delivered,
        with_screenshot,
        POLICY,
        DELIVERED_AT + timedelta(hours=1),
        USED_KEY,
    )

    assert outcome.path is not Path.AUTO_APPROVE


def test_a_mistaken_purchase_before_delivery_is_approved_less_the_actual_cost() -> None:
    pending = order(delivery=D.PENDING)

    outcome = evaluate(pending, claim(R.MISTAKEN_PURCHASE, pending), POLICY, PAID_AT + timedelta(minutes=10))

    assert outcome == Outcome(
        eligible=True,
        path=Path.AUTO_APPROVE,
        reason_codes=("policy_refundable", "not_delivered_on_record", "buyer_fault_fee"),
        policy_version=1,
        deadline=PAID_AT + timedelta(hours=24),
        missing_evidence=(),
        refundable=Money(10_000),
        fee=Money(100),
        liable=LiableParty.BUYER,
        items=("oi_1",),
    )
    assert outcome.payout == Money(9_900)


def test_a_mistaken_direct_topup_costs_the_capped_percentage() -> None:
    small = order(kind=K.DIRECT_TOPUP, delivery=D.PENDING, amount=10_000)
    large = order(kind=K.DIRECT_TOPUP, delivery=D.PENDING, amount=100_000)
    now = PAID_AT + timedelta(minutes=10)

    assert evaluate(small, claim(R.MISTAKEN_PURCHASE, small), POLICY, now).fee == Money(60)
    assert evaluate(large, claim(R.MISTAKEN_PURCHASE, large), POLICY, now).fee == Money(500)


def test_a_mistaken_purchase_after_delivery_is_rejected() -> None:
    delivered = order()

    outcome = evaluate(delivered, claim(R.MISTAKEN_PURCHASE, delivered), POLICY, DELIVERED_AT + timedelta(minutes=1))

    assert outcome.path is Path.REJECT
    assert outcome.eligible is False
    assert outcome.reason_codes == ("already_delivered",)


def test_every_failed_check_is_named_in_a_rejection() -> None:
    delivered = order()

    outcome = evaluate(delivered, claim(R.MISTAKEN_PURCHASE, delivered), POLICY, PAID_AT + timedelta(hours=25))

    assert outcome.reason_codes == ("refund_window_closed", "already_delivered")


def test_a_mistaken_membership_purchase_after_activation_is_rejected() -> None:
    activated = order(kind=K.MEMBERSHIP, items=(item(1, activated_at=DELIVERED_AT + timedelta(minutes=1)),))

    outcome = evaluate(activated, claim(R.MISTAKEN_PURCHASE, activated), POLICY, DELIVERED_AT + timedelta(hours=1))

    assert outcome.path is Path.REJECT
    assert outcome.reason_codes == ("already_activated",)
    assert outcome.deadline == DELIVERED_AT + timedelta(hours=24)


def test_a_mistaken_membership_purchase_delivered_but_not_activated_is_approved() -> None:
    delivered = order(kind=K.MEMBERSHIP)

    outcome = evaluate(delivered, claim(R.MISTAKEN_PURCHASE, delivered), POLICY, DELIVERED_AT + timedelta(hours=1))

    assert (outcome.path, outcome.reason_codes) == (Path.AUTO_APPROVE, ("policy_refundable", "buyer_fault_fee"))
    assert outcome.fee == Money(100)


def test_unactivated_codes_of_a_partly_activated_membership_order_can_be_returned() -> None:
    mixed = order(kind=K.MEMBERSHIP, amount=10_000, items=(item(1, activated_at=DELIVERED_AT), item(2)))

    outcome = evaluate(
        mixed, claim(R.MISTAKEN_PURCHASE, mixed, item_ids=("oi_2",)), POLICY, DELIVERED_AT + timedelta(hours=1)
    )

    assert (outcome.path, outcome.reason_codes) == (Path.AUTO_APPROVE, ("policy_refundable", "buyer_fault_fee"))


@pytest.mark.parametrize(("amount", "path"), [(20_000, Path.AUTO_APPROVE), (20_001, Path.MANUAL_REVIEW)])
def test_an_amount_above_the_rules_limit_goes_to_a_person(amount: int, path: Path) -> None:
    pending = order(delivery=D.PENDING, amount=amount)

    outcome = evaluate(pending, claim(R.MISTAKEN_PURCHASE, pending), POLICY, PAID_AT + timedelta(minutes=10))

    assert outcome.path is path
    if path is Path.MANUAL_REVIEW:
        assert outcome.reason_codes == ("amount_above_auto_limit", "buyer_fault_fee")
        assert outcome.eligible is True


def test_a_failed_delivery_above_the_limit_goes_to_a_person() -> None:
    failed = order(delivery=D.FAILED, amount=50_001)

    outcome = evaluate(failed, claim(R.NOT_DELIVERED, failed), POLICY, PAID_AT + timedelta(hours=1))

    assert (outcome.path, outcome.reason_codes) == (Path.MANUAL_REVIEW, ("amount_above_auto_limit",))
    assert outcome.missing_evidence == ()


@pytest.mark.parametrize(
    ("item_ids", "refundable"),
    [(("oi_1",), 334), (("oi_2",), 333), (("oi_2", "oi_3"), 666), (("oi_1", "oi_2", "oi_3"), 1000)],
)
def test_a_partial_claim_refunds_only_the_claimed_items_share(item_ids: tuple[str, ...], refundable: int) -> None:
    three = order(delivery=D.FAILED, amount=1000, n_items=3)

    outcome = evaluate(three, claim(R.NOT_DELIVERED, three, item_ids=item_ids), POLICY, PAID_AT + timedelta(hours=1))

    assert outcome.refundable == Money(refundable)
    assert outcome.items == item_ids
    assert outcome.payout == Money(refundable)


def test_the_auto_limit_applies_to_the_claimed_share_not_the_order() -> None:
    three = order(delivery=D.PENDING, amount=30_000, n_items=3)
    now = PAID_AT + timedelta(minutes=10)

    one = evaluate(three, claim(R.MISTAKEN_PURCHASE, three, item_ids=("oi_3",)), POLICY, now)
    every = evaluate(three, claim(R.MISTAKEN_PURCHASE, three), POLICY, now)

    assert (one.path, one.refundable, one.fee) == (Path.AUTO_APPROVE, Money(10_000), Money(100))
    assert (every.path, every.refundable, every.fee) == (Path.MANUAL_REVIEW, Money(30_000), Money(100))


@pytest.mark.parametrize(
    ("kind", "reason", "deadline"),
    [
        (K.CARD_KEY, R.CARD_INVALID, DELIVERED_AT + timedelta(hours=72)),
        (K.CARD_KEY, R.NOT_DELIVERED, PAID_AT + timedelta(hours=24)),
        (K.CARD_KEY, R.WRONG_ITEM, DELIVERED_AT + timedelta(hours=1)),
        (K.CARD_KEY, R.MISTAKEN_PURCHASE, PAID_AT + timedelta(hours=24)),
        (K.CARD_KEY, R.OTHER, PAID_AT + timedelta(hours=168)),
        (K.DIRECT_TOPUP, R.WRONG_ITEM, DELIVERED_AT + timedelta(hours=1)),
        (K.MEMBERSHIP, R.MISTAKEN_PURCHASE, DELIVERED_AT + timedelta(hours=24)),
        (K.MEMBERSHIP, R.CARD_INVALID, DELIVERED_AT + timedelta(hours=72)),
    ],
)
def test_the_deadline_counts_from_the_rules_anchor(kind: ProductKind, reason: Reason, deadline: datetime) -> None:
    delivered = order(kind=kind, delivered_at=DELIVERED_AT)

    outcome = evaluate(delivered, claim(reason, delivered), POLICY, DELIVERED_AT)

    assert outcome.deadline == deadline


def test_a_window_counted_from_delivery_has_no_deadline_before_delivery() -> None:
    pending = order(kind=K.MEMBERSHIP, delivery=D.PENDING)

    outcome = evaluate(pending, claim(R.MISTAKEN_PURCHASE, pending), POLICY, PAID_AT + timedelta(days=30))

    assert outcome.deadline is None
    assert outcome.path is Path.AUTO_APPROVE
    assert outcome.reason_codes == ("policy_refundable", "not_delivered_on_record", "buyer_fault_fee")


def _policy_with_activation_anchor() -> Policy:
    doc = default_policy_doc()
    [entry] = [e for e in doc["membership"] if e["reason"] == "card_invalid"]
    entry["anchor"] = "activated_at"
    entry["anchor_fallback"] = "delivered_at"
    entry["window_hours"] = 2
    return parse_policy(doc, 4)


def test_a_window_counted_from_activation_starts_at_the_first_activation() -> None:
    policy = _policy_with_activation_anchor()
    first = DELIVERED_AT + timedelta(hours=5)
    activated = order(
        kind=K.MEMBERSHIP,
        n_items=2,
        items=(item(1, activated_at=first + timedelta(hours=1)), item(2, activated_at=first)),
    )
    never = order(kind=K.MEMBERSHIP)

    outcome = evaluate(activated, claim(R.CARD_INVALID, activated), policy, first + timedelta(hours=3))

    assert outcome.deadline == first + timedelta(hours=2)
    assert outcome.reason_codes == ("refund_window_closed",)
    assert outcome.policy_version == 4
    # Never activated: the window counts from delivery instead of staying open for ever.
    assert evaluate(never, claim(R.CARD_INVALID, never), policy, first).deadline == DELIVERED_AT + timedelta(hours=2)


@pytest.mark.parametrize(
    ("evidence", "missing"),
    [
        ((), (E.ORDER_SCREENSHOT, E.RECEIVED_ITEM_SCREENSHOT)),
        ((None,), (E.RECEIVED_ITEM_SCREENSHOT,)),
        ((E.RECEIVED_ITEM_SCREENSHOT,), (E.ORDER_SCREENSHOT,)),
        ((E.ORDER_SCREENSHOT, E.ORDER_SCREENSHOT), (E.RECEIVED_ITEM_SCREENSHOT,)),
        ((E.CHAT_RECORD, E.ERROR_SCREENSHOT), (E.ORDER_SCREENSHOT, E.RECEIVED_ITEM_SCREENSHOT)),
        ((E.CHAT_RECORD, None), (E.RECEIVED_ITEM_SCREENSHOT,)),
        ((None, E.ORDER_SCREENSHOT), ()),
        ((E.RECEIVED_ITEM_SCREENSHOT, None), ()),
        ((None, None), ()),
        ((None, None, None), ()),
    ],
)
def test_untagged_evidence_covers_the_required_kinds_in_order(
    evidence: tuple[EvidenceKind | None, ...], missing: tuple[EvidenceKind, ...]
) -> None:
    delivered = order()

    outcome = evaluate(
        delivered, claim(R.WRONG_ITEM, delivered, evidence=evidence), POLICY, DELIVERED_AT + timedelta(minutes=30)
    )

    assert outcome.missing_evidence == missing
    if missing:
        assert outcome.path is Path.REQUEST_EVIDENCE
        assert outcome.reason_codes == ("evidence_missing", "needs_human_judgement", "amount_above_auto_limit")
    else:
        assert outcome.path is Path.MANUAL_REVIEW
        assert outcome.reason_codes == ("needs_human_judgement", "amount_above_auto_limit")


@pytest.mark.parametrize(
    ("delivery", "record_code"),
    [(D.PENDING, "delivery_pending_on_record"), (D.DELIVERED, "delivery_recorded")],
)
def test_not_delivered_against_a_record_that_is_not_a_failure_needs_evidence_and_a_person(
    delivery: DeliveryStatus, record_code: str
) -> None:
    topup = order(kind=K.DIRECT_TOPUP, delivery=delivery)
    now = PAID_AT + timedelta(hours=1)

    bare = evaluate(topup, claim(R.NOT_DELIVERED, topup), POLICY, now)
    proven = evaluate(topup, claim(R.NOT_DELIVERED, topup, evidence=(E.CARRIER_RECORD,)), POLICY, now)

    assert (bare.path, bare.reason_codes, bare.missing_evidence) == (
        Path.REQUEST_EVIDENCE,
        ("evidence_missing", record_code),
        (E.CARRIER_RECORD,),
    )
    assert (proven.path, proven.reason_codes, proven.missing_evidence) == (Path.MANUAL_REVIEW, (record_code,), ())


def test_items_held_by_another_claim_are_rejected() -> None:
    two = order(delivery=D.FAILED, amount=1000, n_items=2)
    held = Signals(claimed_elsewhere=frozenset({"oi_2"}))
    now = PAID_AT + timedelta(hours=1)

    overlapping = evaluate(two, claim(R.NOT_DELIVERED, two), POLICY, now, held)
    separate = evaluate(two, claim(R.NOT_DELIVERED, two, item_ids=("oi_1",)), POLICY, now, held)

    assert (overlapping.path, overlapping.reason_codes) == (Path.REJECT, ("items_already_claimed",))
    assert overlapping.eligible is False
    assert (separate.path, separate.reason_codes) == (
        Path.AUTO_APPROVE,
        ("policy_refundable", "delivery_failed_on_record"),
    )
    assert separate.refundable == Money(500)


def test_a_reason_the_policy_does_not_refund_is_rejected() -> None:
    topup = order(kind=K.DIRECT_TOPUP)

    outcome = evaluate(topup, claim(R.CARD_INVALID, topup), POLICY, DELIVERED_AT)

    assert outcome == Outcome(
        eligible=False,
        path=Path.REJECT,
        reason_codes=("reason_not_refundable",),
        policy_version=1,
        deadline=None,
        missing_evidence=(),
        refundable=Money(10_000),
        fee=Money(0),
        liable=LiableParty.PLATFORM,
        items=("oi_1",),
    )


def test_a_policy_without_a_rule_for_the_reason_rejects() -> None:
    delivered = order()

    outcome = evaluate(delivered, claim(R.OTHER, delivered), Policy(5, "empty", {}), DELIVERED_AT)

    assert (outcome.path, outcome.reason_codes, outcome.liable) == (
        Path.REJECT,
        ("reason_not_refundable",),
        LiableParty.PLATFORM,
    )
    assert outcome.policy_version == 5


# ---------- properties ----------

AMOUNT_LIMIT = 300_000


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Order, Claim, datetime, Signals]:
    kind = draw(st.sampled_from(ProductKind))
    n_items = draw(st.integers(min_value=1, max_value=5))
    delivery = draw(st.sampled_from(DeliveryStatus))
    delivered_at = PAID_AT + timedelta(minutes=draw(st.integers(0, 5 * 24 * 60))) if delivery is D.DELIVERED else None
    activations = draw(st.lists(st.none() | st.integers(0, 5 * 24 * 60), min_size=n_items, max_size=n_items))
    items = tuple(
        item(n, activated_at=None if minutes is None else PAID_AT + timedelta(minutes=minutes))
        for n, minutes in enumerate(activations, start=1)
    )
    the_order = order(
        kind=kind,
        amount=draw(st.integers(0, AMOUNT_LIMIT)),
        items=items,
        delivery=delivery,
        delivered_at=delivered_at,
    )
    chosen = draw(st.lists(st.sampled_from(the_order.item_ids()), unique=True, min_size=1))
    evidence = draw(st.lists(st.none() | st.sampled_from(EvidenceKind), max_size=4))
    the_claim = Claim(draw(st.sampled_from(Reason)), resolve_items(the_order, chosen), tuple(evidence))
    now = PAID_AT + timedelta(seconds=draw(st.integers(-3600, 30 * 24 * 3600)))
    answers = st.tuples(*[st.builds(CardAnswer, st.sampled_from(CardState), st.none() | st.just(DELIVERED_AT))] * 1)
    signals = Signals(
        cards=draw(st.dictionaries(st.sampled_from(the_order.item_ids()), answers)),
        topups=draw(
            st.dictionaries(st.sampled_from(the_order.item_ids()), st.builds(TopupAnswer, st.sampled_from(TopupState)))
        ),
        supplier_unavailable=draw(st.booleans()),
        doubts=tuple(draw(st.lists(st.sampled_from(["evidence_reused", "ocr_contradicts_order"]), unique=True))),
        claimed_elsewhere=frozenset(draw(st.lists(st.sampled_from(the_order.item_ids())))),
        revealed=frozenset(draw(st.lists(st.sampled_from(the_order.item_ids())))),
    )
    return the_order, the_claim, now, signals


@settings(deadline=None)
@given(scenarios())
def test_an_outcome_never_refunds_more_than_was_paid_and_is_eligible_unless_rejected(
    scenario: tuple[Order, Claim, datetime, Signals],
) -> None:
    the_order, the_claim, now, signals = scenario

    outcome = evaluate(the_order, the_claim, POLICY, now, signals)

    assert Money(0) <= outcome.fee <= outcome.refundable <= the_order.amount
    assert outcome.refundable == the_order.amount_for(the_claim.item_ids)
    assert outcome.eligible == (outcome.path is not Path.REJECT)
    assert outcome.items == the_claim.item_ids
    assert outcome.policy_version == 1
    assert outcome.reason_codes
    assert len(set(outcome.reason_codes)) == len(outcome.reason_codes)
    assert all(is_known(code) for code in outcome.reason_codes), outcome.reason_codes


@settings(deadline=None)
@given(scenarios())
def test_an_automatic_approval_is_within_the_rule(scenario: tuple[Order, Claim, datetime, Signals]) -> None:
    the_order, the_claim, now, signals = scenario
    rule = POLICY.rule(the_order.product_kind, the_claim.reason)
    assert rule is not None

    outcome = evaluate(the_order, the_claim, POLICY, now, signals)

    if outcome.deadline is not None and now > outcome.deadline:
        assert outcome.path is Path.REJECT
        assert "refund_window_closed" in outcome.reason_codes
    if rule.refundable and signals.claimed_elsewhere & set(the_claim.item_ids):
        assert outcome.path is Path.REJECT
        assert "items_already_claimed" in outcome.reason_codes
    if outcome.path is Path.REQUEST_EVIDENCE:
        assert outcome.missing_evidence
        assert outcome.reason_codes[0] == "evidence_missing"
    if outcome.path is Path.AUTO_APPROVE:
        assert rule.refundable
        assert outcome.missing_evidence == ()
        assert outcome.reason_codes[0] == "policy_refundable"
        assert outcome.fee == rule.fee.on(outcome.refundable)
    if outcome.path is Path.AUTO_APPROVE and "unrevealed_key_unused" in outcome.reason_codes:
        # Keys never revealed, every one said unused: voided before the money moves, at any amount.
        assert standing(POLICY, the_order, the_claim.reason, the_claim.item_ids, now, signals.revealed) is Standing.OPEN
        assert all(a.state is CardState.UNUSED for i in the_claim.item_ids for a in signals.cards[i])
    elif outcome.path is Path.AUTO_APPROVE:
        assert outcome.refundable <= rule.auto_approve_max
