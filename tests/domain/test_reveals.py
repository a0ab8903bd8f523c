"""A card key never revealed and never redeemed is refunded at once; revealing it loses that, where the policy says."""

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from tests.support.builders import DELIVERED_AT, PAID_AT, claim, default_policy, item, order
from tuika.domain.evaluate import Outcome, Path, Signals, evaluate
from tuika.domain.ids import OrderId
from tuika.domain.money import Money
from tuika.domain.orders import DeliveryStatus, Order, ProductKind
from tuika.domain.policy import EvidenceKind, LiableParty, Reason
from tuika.domain.prediction import predict
from tuika.domain.reveals import Channel, Reveal, Standing, asked, first_seen, reveal_loses, standing
from tuika.domain.supplier import CardAnswer, CardState

POLICY = default_policy()
NOW = DELIVERED_AT + timedelta(hours=1)
UNUSED = (CardAnswer(CardState.UNUSED),)
BOTH_UNUSED = Signals(cards={"oi_1": UNUSED, "oi_2": UNUSED})


def test_the_default_policy_refunds_an_unrevealed_key_on_a_claim_of_no_fault_for_a_day_after_delivery() -> None:
    offer = POLICY.unrevealed

    assert offer is not None
    assert offer.reasons == {Reason.MISTAKEN_PURCHASE, Reason.OTHER}
    assert (offer.window, offer.anchor.value, offer.revealed_loses) == (timedelta(hours=24), "delivered_at", True)


def test_a_mistaken_purchase_of_a_delivered_key_never_revealed_and_unused_is_approved_at_once() -> None:
    delivered = order()

    outcome = evaluate(
        delivered, claim(Reason.MISTAKEN_PURCHASE, delivered), POLICY, NOW, Signals(cards={"oi_1": UNUSED})
    )

    assert outcome == Outcome(
        eligible=True,
        path=Path.AUTO_APPROVE,
        reason_codes=("policy_refundable", "unrevealed_key_unused", "buyer_fault_fee"),
        policy_version=1,
        deadline=DELIVERED_AT + timedelta(hours=24),
        missing_evidence=(),
        refundable=Money(10_000),
        fee=Money(100),
        liable=LiableParty.BUYER,
        items=("oi_1",),
    )


def test_an_other_claim_on_unrevealed_keys_needs_no_screenshot_and_no_person_whatever_the_amount() -> None:
    # The rule for "other" asks for a screenshot and a person at any amount; a voided key needs neither.
    large = order(amount=900_000, n_items=2)

    outcome = evaluate(large, claim(Reason.OTHER, large), POLICY, NOW, BOTH_UNUSED)

    assert (outcome.path, outcome.reason_codes, outcome.fee) == (
        Path.AUTO_APPROVE,
        ("policy_refundable", "unrevealed_key_unused"),
        Money(0),
    )
    assert outcome.missing_evidence == ()


def test_a_revealed_key_takes_the_rules_own_path() -> None:
    delivered = order(n_items=2)
    one_seen = replace(BOTH_UNUSED, revealed=frozenset({"oi_2"}))

    mistaken = evaluate(delivered, claim(Reason.MISTAKEN_PURCHASE, delivered), POLICY, NOW, one_seen)
    other = evaluate(delivered, claim(Reason.OTHER, delivered), POLICY, NOW, one_seen)
    unseen_alone = evaluate(delivered, claim(Reason.OTHER, delivered, item_ids=("oi_1",)), POLICY, NOW, one_seen)

    assert (mistaken.path, mistaken.reason_codes) == (Path.REJECT, ("already_delivered",))
    assert (other.path, other.missing_evidence) == (Path.REQUEST_EVIDENCE, (EvidenceKind.ORDER_SCREENSHOT,))
    assert unseen_alone.path is Path.AUTO_APPROVE


def test_a_policy_that_keeps_the_way_for_revealed_keys_refunds_them_too() -> None:
    keeps = replace(POLICY, unrevealed=replace(POLICY.unrevealed, revealed_loses=False))
    delivered = order()
    seen = Signals(cards={"oi_1": UNUSED}, revealed=frozenset({"oi_1"}))

    assert evaluate(delivered, claim(Reason.OTHER, delivered), keeps, NOW, seen).path is Path.AUTO_APPROVE
    assert not reveal_loses(keeps, delivered, delivered.items[0], NOW, frozenset())


@pytest.mark.parametrize(
    "answers",
    [
        (),  # the supplier was not asked, or could not answer
        (CardAnswer(CardState.REDEEMED, DELIVERED_AT + timedelta(minutes=3)),),
        (CardAnswer(CardState.INVALID),),
        (CardAnswer(CardState.UNUSED), CardAnswer(CardState.REDEEMED)),  # answers that disagree
    ],
    ids=["unknown", "redeemed", "invalid", "contradicting"],
)
def test_a_key_the_supplier_does_not_call_unused_takes_the_rules_own_path(answers: tuple[CardAnswer, ...]) -> None:
    delivered = order()

    outcome = evaluate(
        delivered, claim(Reason.MISTAKEN_PURCHASE, delivered), POLICY, NOW, Signals(cards={"oi_1": answers})
    )

    assert (outcome.path, outcome.reason_codes) == (Path.REJECT, ("already_delivered",))


def test_a_doubt_sends_an_unrevealed_key_to_a_person_instead_of_refusing_it() -> None:
    delivered = order()
    doubted = Signals(cards={"oi_1": UNUSED}, doubts=("buyer_history_flagged",))

    outcome = evaluate(delivered, claim(Reason.MISTAKEN_PURCHASE, delivered), POLICY, NOW, doubted)

    assert (outcome.path, outcome.reason_codes) == (
        Path.MANUAL_REVIEW,
        ("buyer_history_flagged", "unrevealed_key_unused", "buyer_fault_fee"),
    )


def test_a_key_another_claim_holds_is_refused_as_the_rule_says() -> None:
    delivered = order()
    held = Signals(cards={"oi_1": UNUSED}, claimed_elsewhere=frozenset({"oi_1"}))

    outcome = evaluate(delivered, claim(Reason.OTHER, delivered), POLICY, NOW, held)

    assert (outcome.path, outcome.reason_codes) == (Path.REJECT, ("items_already_claimed",))


@pytest.mark.parametrize(
    ("on", "at", "expected"),
    [
        (order(), DELIVERED_AT + timedelta(hours=24), Standing.OPEN),
        (order(), DELIVERED_AT + timedelta(hours=24, seconds=1), Standing.NOT_OFFERED),
        (order(delivery=DeliveryStatus.PENDING), PAID_AT + timedelta(minutes=1), Standing.NOT_OFFERED),
        (order(kind=ProductKind.MEMBERSHIP), NOW, Standing.NOT_OFFERED),
        (order(items=(item(1, activated_at=DELIVERED_AT),)), NOW, Standing.NOT_OFFERED),
    ],
    ids=["last_second", "past_the_window", "not_delivered", "not_a_card_key", "activated"],
)
def test_the_way_is_for_delivered_card_keys_not_activated_within_the_window(
    on: Order, at: datetime, expected: Standing
) -> None:
    assert standing(POLICY, on, Reason.OTHER, on.item_ids(), at, frozenset()) is expected


def test_a_reason_that_names_a_fault_keeps_its_own_path() -> None:
    delivered = order()

    assert standing(POLICY, delivered, Reason.CARD_INVALID, ("oi_1",), NOW, frozenset()) is Standing.NOT_OFFERED
    assert standing(POLICY, delivered, Reason.OTHER, ("oi_1",), NOW, frozenset({"oi_1"})) is Standing.LOST


def test_revealing_loses_the_way_only_for_a_key_that_could_still_take_it() -> None:
    delivered = order(n_items=2)
    [first, second] = delivered.items

    assert reveal_loses(POLICY, delivered, first, NOW, frozenset({"oi_2"}))
    assert not reveal_loses(POLICY, delivered, second, NOW, frozenset({"oi_2"}))  # seen already
    assert not reveal_loses(POLICY, delivered, first, DELIVERED_AT + timedelta(days=2), frozenset())
    assert not reveal_loses(replace(POLICY, unrevealed=None), delivered, first, NOW, frozenset())


def test_the_prediction_warns_before_a_claimed_key_is_revealed() -> None:
    delivered = order(n_items=2)

    unseen = predict(delivered, claim(Reason.CARD_INVALID, delivered), POLICY, NOW, Signals())
    seen = predict(
        delivered, claim(Reason.OTHER, delivered), POLICY, NOW, Signals(revealed=frozenset({"oi_1", "oi_2"}))
    )
    held = predict(
        delivered, claim(Reason.OTHER, delivered), POLICY, NOW, Signals(claimed_elsewhere=frozenset({"oi_1", "oi_2"}))
    )

    assert (unseen.reveal_loses, seen.reveal_loses, held.reveal_loses) == (True, False, False)


def test_a_reveal_keeps_what_its_columns_hold_and_the_first_one_dates_the_key() -> None:
    order_id = OrderId("ord_1")
    later = asked(order_id, "oi_1", NOW, "b_1", Channel.API, "s" * 32, " 10.0.0.1 ", "UA " * 200)
    first = Reveal(order_id, "oi_1", NOW - timedelta(minutes=5), "b_1", Channel.PAGE, "p" * 32)

    assert (later.ip, len(later.user_agent or "")) == ("10.0.0.1", 300)
    assert first_seen([later, first]) == {"oi_1": NOW - timedelta(minutes=5)}
