"""The prediction: ``evaluate``'s path, and a branch for each thing only the review will know."""

from datetime import timedelta

from tests.support.builders import PAID_AT, claim, default_policy, order
from tuika.domain.evaluate import Path, Signals
from tuika.domain.orders import DeliveryStatus, ProductKind
from tuika.domain.policy import EvidenceKind, Reason
from tuika.domain.prediction import Condition, predict, sentence
from tuika.domain.supplier import CardAnswer, CardState

POLICY = default_policy()
NOW = PAID_AT + timedelta(hours=1)
INVALID = Signals(cards={"oi_1": (CardAnswer(CardState.INVALID),)})
SHOT = (EvidenceKind.ERROR_SCREENSHOT,)


def test_an_approval_that_screenshots_can_still_stop_is_conditional() -> None:
    on = order(amount=6000)

    p = predict(on, claim(Reason.CARD_INVALID, on, evidence=SHOT), POLICY, NOW, INVALID)

    assert p.conditional
    assert (p.path_for(Condition.EVIDENCE_AS_DECLARED), p.path_for(Condition.EVIDENCE_IN_DOUBT)) == (
        Path.AUTO_APPROVE,
        Path.MANUAL_REVIEW,
    )
    assert p.about_key
    assert sentence(p, 2)[0] == "截图显示本订单与卡密 → 预计秒级自动审核通过；否则需人工复核，预计 2 小时内"


def test_nothing_to_read_means_nothing_to_wait_for() -> None:
    on = order(amount=6000)

    p = predict(on, claim(Reason.CARD_INVALID, on), POLICY, NOW, INVALID)

    assert (p.conditional, p.outcome.path) == (False, Path.AUTO_APPROVE)
    assert sentence(p, 2)[0] == "预计秒级自动审核通过"


def test_a_path_a_screenshot_cannot_change_is_certain() -> None:
    on = order(amount=6000)
    doubted = Signals(cards=INVALID.cards, doubts=("buyer_history_flagged",))

    p = predict(on, claim(Reason.CARD_INVALID, on, evidence=SHOT), POLICY, NOW, doubted)
    late = predict(on, claim(Reason.CARD_INVALID, on, evidence=SHOT), POLICY, NOW + timedelta(days=60), INVALID)

    assert (p.conditional, p.outcome.path) == (False, Path.MANUAL_REVIEW)
    assert (late.conditional, late.outcome.path) == (False, Path.REJECT)
    assert sentence(p, 3)[0] == "需人工复核，预计 3 小时内"


def test_a_silent_supplier_leaves_the_path_to_its_answer() -> None:
    on = order(amount=6000)

    p = predict(on, claim(Reason.CARD_INVALID, on, evidence=SHOT), POLICY, NOW, Signals(supplier_unavailable=True))

    assert p.conditional
    assert p.path_for(Condition.SUPPLIER_ANSWERS) is None
    assert p.path_for(Condition.SUPPLIER_SILENT) is Path.MANUAL_REVIEW
    assert sentence(p, 2)[0].startswith("供货商暂时无法查询：提交后将再次查询")


def test_a_claim_not_about_a_key_asks_the_screenshot_only_for_the_order() -> None:
    failed = order(kind=ProductKind.DIRECT_TOPUP, amount=6000, delivery=DeliveryStatus.FAILED)

    p = predict(failed, claim(Reason.NOT_DELIVERED, failed, evidence=(None,)), POLICY, NOW, Signals())

    assert not p.about_key
    assert sentence(p, 2)[0].startswith("截图显示本订单信息 → ")
