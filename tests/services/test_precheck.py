"""The pre-check is the decision: over a table of claims, the review decides what the buyer was told."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.api import Auth, file_case, push, upload
from tests.support.factories import card_key_for, order_payload, png_bytes
from tests.support.suppliers import FakeSupplier
from tuika.bootstrap import System
from tuika.domain.ids import OrderId
from tuika.domain.supplier import Asked, CardAnswer, CardState
from tuika.services.upkeep.sweep import sweep

# The machine's decision as its case shows it, by the path the prediction names.
ACTION = {
    "auto_approve": "approve",
    "manual_review": "manual_review",
    "reject": "reject",
    "request_evidence": "request_evidence",
}


def precheck(client: TestClient, auth: Auth, order_id: str, body: dict[str, Any], buyer: str) -> dict[str, Any]:
    response = client.post(f"/v1/orders/{order_id}/refund-precheck", json=body, headers=auth("buyer", buyer))
    assert response.status_code == 200, response.text
    return dict(response.json())


def predicted_for(prediction: dict[str, Any], condition: str) -> str | None:
    """Return the path the prediction names under ``condition``, its own path where it does not branch."""
    for branch in prediction["branches"]:
        if branch["condition"]["code"] == condition:
            return branch["path"]  # type: ignore[no-any-return]
    return prediction["path"]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Scenario:
    """One claim: how its world is set up, what the buyer declares and what the screenshot turns out to be."""

    name: str
    order: dict[str, Any]
    reason: str
    declared: tuple[str, ...]  # the evidence kinds the buyer says they will attach
    setup: Callable[[TestClient, Auth, FakeSupplier, str], None] = lambda *_: None
    # "as_declared": a fresh screenshot; "reused": one that backs another claim already.
    screenshot: str = "as_declared"
    buyer: str = "buyer_1"


def _redeemed_after_delivery(client: TestClient, auth: Auth, supplier: FakeSupplier, order_id: str) -> None:
    supplier.cards[card_key_for(order_id)] = CardAnswer(CardState.REDEEMED, redeemed_by="广东 138****0000")


def _unused(client: TestClient, auth: Auth, supplier: FakeSupplier, order_id: str) -> None:
    supplier.cards[card_key_for(order_id)] = CardAnswer(CardState.UNUSED)


def _abuse_on_record(client: TestClient, auth: Auth, supplier: FakeSupplier, order_id: str) -> None:
    """Give the buyer a claim a person rejected as fraud: every later claim of theirs goes to a person."""
    earlier = f"{order_id}_before"
    push(client, auth, order_payload(earlier, buyer="buyer_7", amount_fen=6000))
    supplier.cards[card_key_for(earlier)] = CardAnswer(CardState.UNUSED)
    body = {"order_id": earlier, "reason": "card_invalid", "evidence_ids": [upload(client, auth, "buyer_7")]}
    case = file_case(client, auth, body, "buyer_7")
    decided = client.post(
        f"/v1/refund-cases/{case['id']}/decisions",
        json={"action": "reject", "reason_codes": ["suspected_fraud"], "note": "key redeemed from our own region"},
        headers=auth("agent", "agent_1"),
    )
    assert decided.status_code == 200, decided.text


def _key_sent_twice(client: TestClient, auth: Auth, supplier: FakeSupplier, order_id: str) -> None:
    """Deliver this order's key to another buyer's order too."""
    twin = order_payload(f"{order_id}_twin", buyer="buyer_2", amount_fen=6000)
    twin["items"][0]["card_key"] = card_key_for(order_id)
    push(client, auth, twin)


def _supplier_down(client: TestClient, auth: Auth, supplier: FakeSupplier, order_id: str) -> None:
    supplier.down = True


def _reuse_screenshot(client: TestClient, auth: Auth, supplier: FakeSupplier, order_id: str) -> None:
    """File a claim on another order with the screenshot the scenario's claim then uploads again."""
    other = f"{order_id}_other"
    push(client, auth, order_payload(other, buyer="buyer_3", amount_fen=6000))
    body = {"order_id": other, "reason": "card_invalid", "evidence_ids": [upload(client, auth, "buyer_3", REUSED)]}
    file_case(client, auth, body, "buyer_3")


REUSED = png_bytes(color="olive")
CARD = {"amount_fen": 6000}
SCENARIOS = [
    Scenario("key the supplier calls invalid, honest screenshot", CARD, "card_invalid", ("error_screenshot",)),
    Scenario(
        "key the supplier calls invalid, screenshot behind another claim",
        CARD,
        "card_invalid",
        ("error_screenshot",),
        _reuse_screenshot,
        screenshot="reused",
    ),
    Scenario("key the supplier calls invalid, nothing attached", CARD, "card_invalid", ()),
    Scenario("key the supplier says is unused", CARD, "card_invalid", ("error_screenshot",), _unused),
    Scenario("key redeemed after delivery", CARD, "card_invalid", ("error_screenshot",), _redeemed_after_delivery),
    Scenario(
        "buyer a person rejected as a fraud",
        CARD,
        "card_invalid",
        ("error_screenshot",),
        _abuse_on_record,
        buyer="buyer_7",
    ),
    Scenario("key delivered to another order too", CARD, "card_invalid", ("error_screenshot",), _key_sent_twice),
    Scenario("amount above the automatic limit", {"amount_fen": 60000}, "card_invalid", ("error_screenshot",)),
    Scenario("delivery failed on record", {"amount_fen": 6000, "delivery": "failed"}, "not_delivered", ()),
    Scenario("mistaken purchase, delivered", CARD, "mistaken_purchase", ()),
    Scenario("other reason", CARD, "other", ("error_screenshot",)),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_the_review_decides_what_the_precheck_predicted(
    client: TestClient, auth: Auth, supplier: FakeSupplier, scenario: Scenario
) -> None:
    order_id = f"ord_pc{SCENARIOS.index(scenario)}"
    push(client, auth, order_payload(order_id, buyer=scenario.buyer, **scenario.order))
    scenario.setup(client, auth, supplier, order_id)
    body = {"reason": scenario.reason, "evidence_kinds": list(scenario.declared)}

    prediction = precheck(client, auth, order_id, body, scenario.buyer)
    data = REUSED if scenario.screenshot == "reused" else None
    evidence = [upload(client, auth, scenario.buyer, data, kind) for kind in scenario.declared]
    case = file_case(
        client, auth, {"order_id": order_id, "reason": scenario.reason, "evidence_ids": evidence}, scenario.buyer
    )

    condition = "evidence_as_declared" if scenario.screenshot == "as_declared" else "evidence_in_doubt"
    expected = predicted_for(prediction, condition)
    [machine] = [d for d in case["decisions"] if d["tier"] == "auto"]
    assert expected is not None, prediction
    assert machine["action"] == ACTION[expected], (prediction["summary"], case["reason_codes"])


def test_the_supplier_is_asked_once_for_the_precheck_and_the_review(
    client: TestClient, auth: Auth, supplier: FakeSupplier, system: System
) -> None:
    push(client, auth, order_payload("ord_pc_once", amount_fen=6000))
    precheck(client, auth, "ord_pc_once", {"reason": "card_invalid", "evidence_kinds": ["error_screenshot"]}, "buyer_1")
    precheck(client, auth, "ord_pc_once", {"reason": "card_invalid"}, "buyer_1")  # the form changed
    body = {"order_id": "ord_pc_once", "reason": "card_invalid", "evidence_ids": [upload(client, auth)]}
    case = file_case(client, auth, body)

    assert case["status"] == "refunded"
    # One question before filing, none by the review (a key its supplier calls invalid needs no void).
    assert [kind for kind, _, _ in supplier.asked] == ["card"]


def test_with_no_reuse_the_review_asks_again(
    client: TestClient, auth: Auth, supplier: FakeSupplier, system: System
) -> None:
    system.ctx.answer_reuse = timedelta(0)
    try:
        push(client, auth, order_payload("ord_pc_again", amount_fen=6000))
        precheck(client, auth, "ord_pc_again", {"reason": "card_invalid"}, "buyer_1")
        body = {"order_id": "ord_pc_again", "reason": "card_invalid", "evidence_ids": [upload(client, auth)]}
        file_case(client, auth, body)
    finally:
        system.ctx.answer_reuse = timedelta(minutes=10)

    assert [kind for kind, _, _ in supplier.asked] == ["card", "card"]


def test_a_supplier_silent_at_the_precheck_makes_the_prediction_say_so_and_is_asked_again(
    client: TestClient, auth: Auth, supplier: FakeSupplier
) -> None:
    push(client, auth, order_payload("ord_pc_down", amount_fen=6000))
    supplier.down = True
    body = {"reason": "card_invalid", "evidence_kinds": ["error_screenshot"]}

    prediction = precheck(client, auth, "ord_pc_down", body, "buyer_1")
    supplier.down = False
    filed = {"order_id": "ord_pc_down", "reason": "card_invalid", "evidence_ids": [upload(client, auth)]}
    case = file_case(client, auth, filed)

    assert prediction["conditional"] is True
    assert [(b["condition"]["code"], b["path"]) for b in prediction["branches"]] == [
        ("supplier_answers", None),
        ("supplier_silent", "manual_review"),
    ]
    assert prediction["summary"]["zh"] == (
        "供货商暂时无法查询：提交后将再次查询，按查询结果处理；仍无法查询则需人工复核，预计 2 小时内"
    )
    assert [kind for kind, _, _ in supplier.asked] == ["card", "card"]  # silence is not kept
    assert case["status"] == "refunded"


def test_a_conditional_prediction_names_each_path_in_words(
    client: TestClient, auth: Auth, supplier: FakeSupplier
) -> None:
    push(client, auth, order_payload("ord_pc_words", amount_fen=6000))

    prediction = precheck(
        client, auth, "ord_pc_words", {"reason": "card_invalid", "evidence_kinds": ["error_screenshot"]}, "buyer_1"
    )

    assert prediction["path"] == "auto_approve"
    assert prediction["summary"]["zh"] == "截图显示本订单与卡密 → 预计秒级自动审核通过；否则需人工复核，预计 2 小时内"
    assert prediction["summary"]["en"] == (
        "The screenshot shows this order and its key → expected to be approved automatically within seconds; "
        "otherwise a person reviews it, usually within 2 h"
    )
    [shown, doubted] = prediction["branches"]
    assert (shown["condition"]["zh"], shown["path"]) == ("截图显示本订单与卡密", "auto_approve")
    assert (doubted["condition"]["zh"], doubted["path"]) == ("截图无法核实", "manual_review")
    assert [c["code"] for c in doubted["reason_codes"]][:1] == ["screenshot_needs_check"]


def test_the_buyer_reads_the_history_that_sends_them_to_a_person_as_a_neutral_reason(
    client: TestClient, auth: Auth, supplier: FakeSupplier
) -> None:
    push(client, auth, order_payload("ord_pc_hist", buyer="buyer_7", amount_fen=6000))
    _abuse_on_record(client, auth, supplier, "ord_pc_hist")
    body = {"reason": "card_invalid", "evidence_kinds": ["error_screenshot"]}

    mine = precheck(client, auth, "ord_pc_hist", body, "buyer_7")
    staff = client.post("/v1/orders/ord_pc_hist/refund-precheck", json=body, headers=auth("agent", "agent_1")).json()

    assert (mine["path"], staff["path"]) == ("manual_review", "manual_review")
    assert [c["code"] for c in mine["reason_codes"]] == ["claim_needs_review", "supplier_card_invalid"]
    assert [c["code"] for c in staff["reason_codes"]] == ["buyer_history_flagged", "supplier_card_invalid"]
    assert "buyer_history_flagged" not in str(mine)


def test_the_sweep_forgets_the_suppliers_answers_a_day_old(system: System) -> None:
    now = system.ctx.clock.now()
    with system.ctx.uow() as uow:
        uow.answers.add(
            OrderId("ord_pc_old"), [Asked("i0", now - timedelta(days=2), card=CardAnswer(CardState.UNUSED))]
        )
        uow.answers.add(OrderId("ord_pc_new"), [Asked("i0", now, card=CardAnswer(CardState.UNUSED))])
        uow.commit()

    report = sweep(system.ctx)

    with system.ctx.read() as uow:
        left = [o for o in ("ord_pc_old", "ord_pc_new") if uow.answers.since(OrderId(o), now - timedelta(days=3))]
    assert (report.answers, left) == (1, ["ord_pc_new"])
