"""New keys instead of the money (补发): the merchant offers them, the buyer takes them or declines."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.api.test_api_merchant_responses import answer, later, staff_case
from tests.support.api import Auth, buyer_case, file_case, manual_review_case, push, upload
from tests.support.factories import account_balances, assert_problem, card_key_for, order_payload, postings
from tests.support.suppliers import FakeSupplier
from tuika.bootstrap import System
from tuika.domain.ids import CaseId, OrderId
from tuika.domain.supplier import CardAnswer, CardState
from tuika.services.merchant.replacements import void_replaced
from tuika.services.orders.keys import card_key
from tuika.services.upkeep.sweep import sweep

NEW_KEY = "NEWK-7Q4M-XR2P-9D3T"
HELD = "merchant:merchant_1:holds"


def unused(supplier: FakeSupplier, *order_ids: str) -> None:
    """Have the supplier call the orders' keys unused, so that their claims go to a person."""
    for order_id in order_ids:
        supplier.cards[card_key_for(order_id, 0)] = CardAnswer(CardState.UNUSED)


def offer(client: TestClient, auth: Auth, case_id: str, key: str = NEW_KEY, **extra: Any) -> Response:
    return answer(client, auth, case_id, "replace", "库存卡密有效，为您补发一张", replacement_card_key=key, **extra)


def reply(client: TestClient, auth: Auth, case_id: str, accept: bool, buyer: str = "buyer_1") -> Response:
    response: Response = client.post(
        f"/v1/refund-cases/{case_id}/replacement", json={"accept": accept}, headers=auth("buyer", buyer)
    )
    return response


def stored_keys(system: System, order_id: str) -> list[str]:
    """Return the order's card keys as stored (opened with the cipher), item by item."""
    with system.ctx.read() as uow:
        order = uow.orders.get(OrderId(order_id))
    assert order is not None
    return [card_key(system.ctx, order, item) for item in order.items]


def test_an_offer_waits_for_the_buyer_with_the_new_key_masked(client: TestClient, auth: Auth) -> None:
    case_id = manual_review_case(client, auth, "ord_rp1")

    offered = offer(client, auth, case_id)

    assert offered.status_code == 200, offered.text
    seen = buyer_case(client, auth, case_id)
    assert seen["status"] == "replacement_offered"
    assert seen["stage"]["zh"] == "商家补发待确认"
    replacement = seen["replacement"]
    assert replacement["outcome"] is None
    assert replacement["note"] == "库存卡密有效，为您补发一张"
    [item] = replacement["items"]
    assert item["item_id"] == "ord_rp1_i0"
    assert item["old_key"] is None
    # Masked until the buyer takes it: nobody reads a key they have not accepted.
    assert NEW_KEY not in str(seen)
    assert item["masked_key"].startswith("NEWK")
    assert "*" in item["masked_key"]
    # The merchant's clock stops: it answered.
    assert staff_case(client, auth, case_id)["merchant"]["answer"] == "replace"
    assert seen["due_at"] == replacement["answer_by"]


def test_accepted_the_new_key_is_on_the_order_the_old_voided_and_nothing_paid(
    client: TestClient, auth: Auth, system: System, supplier: FakeSupplier
) -> None:
    unused(supplier, "ord_rp2")
    case_id = manual_review_case(client, auth, "ord_rp2")
    old_key = card_key_for("ord_rp2", 0)
    assert offer(client, auth, case_id).status_code == 200

    taken = reply(client, auth, case_id, accept=True)

    assert taken.status_code == 200, taken.text
    case = staff_case(client, auth, case_id)
    assert case["status"] == "replaced"
    assert case["payout"] is None
    assert case["replacement"]["outcome"] == "accepted"
    assert case["replacement"]["items"][0]["old_key"] == "voided"
    assert ("void", "supplier_1", old_key) in supplier.asked
    codes = [c for line in case["timeline"] for c in line["reason_codes"]]
    assert "replacement_accepted" in [c["code"] for c in codes]
    assert "replaced_key_voided" in [c["code"] for c in codes]
    # The new key is on the order in place of the dead one, sealed like any key.
    assert stored_keys(system, "ord_rp2") == [NEW_KEY]
    # No money moved, and the merchant's held funds are back.
    assert postings(system.engine, "refund") == 0
    assert account_balances(system.engine).get(HELD, 0) == 0
    # The item is settled: it cannot be claimed (and refunded) as well.
    again = client.post(
        "/v1/refund-cases",
        json={"order_id": "ord_rp2", "reason": "card_invalid"},
        headers=auth("buyer", "buyer_1"),
    )
    assert_problem(again, 409, "items_already_claimed")


def test_a_push_of_the_order_after_a_replacement_does_not_bring_the_dead_key_back(
    client: TestClient, auth: Auth, system: System
) -> None:
    pushed = order_payload("ord_rp3")
    push(client, auth, pushed)
    claim = {"order_id": "ord_rp3", "reason": "card_invalid", "evidence_ids": [upload(client, auth, "buyer_1")]}
    case_id = file_case(client, auth, claim)["id"]
    offer(client, auth, case_id)
    reply(client, auth, case_id, accept=True)

    again = client.post("/v1/orders", json=pushed, headers=auth("platform", "host"))

    assert again.status_code == 200, again.text
    assert stored_keys(system, "ord_rp3") == [NEW_KEY]


def inbox_titles(client: TestClient, auth: Auth, role: str, subject: str) -> list[str]:
    response = client.get("/v1/inbox", headers=auth(role, subject))
    assert response.status_code == 200, response.text
    return [m["title"] for m in response.json()["items"]]


def test_the_buyer_is_asked_and_the_merchant_told_how_the_buyer_answered(client: TestClient, auth: Auth) -> None:
    taken = manual_review_case(client, auth, "ord_rp14")
    offer(client, auth, taken)
    assert "商家为您补发了新卡密，请确认" in inbox_titles(client, auth, "buyer", "buyer_1")
    reply(client, auth, taken, accept=True)
    left = manual_review_case(client, auth, "ord_rp15")
    # The first new key is sold now: the second offer needs a key of its own.
    assert_problem(offer(client, auth, left), 409, "replacement_key_in_use")
    assert offer(client, auth, left, key="NEWK-SECOND-0002").status_code == 200
    assert reply(client, auth, left, accept=False).status_code == 200

    assert "新卡密已发放到您的订单" in inbox_titles(client, auth, "buyer", "buyer_1")
    told = inbox_titles(client, auth, "merchant", "merchant_1")
    numbers = {c: staff_case(client, auth, c)["number"] for c in (taken, left)}
    assert f"买家已接受补发：{numbers[taken]}" in told
    assert f"买家未接受补发：{numbers[left]}" in told


def test_declined_the_claim_goes_back_to_a_person_and_the_key_stays(client: TestClient, auth: Auth) -> None:
    case_id = manual_review_case(client, auth, "ord_rp4")
    offer(client, auth, case_id)

    declined = reply(client, auth, case_id, accept=False)

    assert declined.status_code == 200, declined.text
    case = staff_case(client, auth, case_id)
    assert case["status"] == "manual_review"
    assert case["replacement"]["outcome"] == "declined"
    assert case["timeline"][-1]["reason_codes"][0]["code"] == "replacement_declined"
    # An agent decides now: approving refunds as for any claim.
    decided = client.post(
        f"/v1/refund-cases/{case_id}/decisions",
        json={"action": "approve", "reason_codes": ["evidence_confirms_claim"], "note": "买家拒绝补发，按原申请退款"},
        headers=auth("agent", "agent_1"),
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] in ("approved", "refunding", "refunded")
    # A second answer changes nothing.
    assert_problem(reply(client, auth, case_id, accept=True), 409, "replacement_not_open")


def test_an_offer_left_unanswered_goes_back_to_a_person_once(client: TestClient, auth: Auth, system: System) -> None:
    case_id = manual_review_case(client, auth, "ord_rp5")
    offer(client, auth, case_id)

    first = sweep(later(system, timedelta(hours=25)))
    second = sweep(later(system, timedelta(hours=26)))

    assert (first.replacements_expired, second.replacements_expired) == (1, 0)
    case = staff_case(client, auth, case_id)
    assert case["status"] == "manual_review"
    assert case["replacement"]["outcome"] == "expired"
    codes = [c["code"] for line in case["timeline"] for c in line["reason_codes"]]
    assert codes.count("replacement_unanswered") == 1


@pytest.mark.parametrize(
    ("extra", "status", "code"),
    [
        ({"replacement_card_key": card_key_for("ord_rpx", 0)}, 409, "replacement_key_in_use"),
        ({"replacement_card_key": "   "}, 422, "invalid_input"),
        ({"replacement_card_key": "K1", "replacement_card_keys": ["K1"]}, 422, "validation_failed"),
        ({"replacement_card_keys": ["K1", "K2"]}, 422, "invalid_input"),
        ({}, 422, "invalid_input"),
    ],
)
def test_bad_offers_are_refused_and_change_nothing(
    client: TestClient, auth: Auth, extra: dict[str, Any], status: int, code: str
) -> None:
    case_id = manual_review_case(client, auth, "ord_rpx")

    refused = answer(client, auth, case_id, "replace", "补发", **extra)

    assert_problem(refused, status, code)
    case = staff_case(client, auth, case_id)
    assert case["status"] == "manual_review"
    assert case["replacement"] is None
    assert case["merchant"]["answer"] is None


def test_keys_go_with_replace_only_and_one_for_each_claimed_item(client: TestClient, auth: Auth) -> None:
    case_id = manual_review_case(client, auth, "ord_rp6")
    assert_problem(answer(client, auth, case_id, "accept", "同意", replacement_card_key="K1"), 422, "invalid_input")

    # A two-key claim needs two keys: one is not a replacement of both.
    another = manual_review_case(client, auth, "ord_rp8", items=2)
    assert_problem(offer(client, auth, another), 422, "invalid_input")


def test_a_two_key_claim_is_replaced_key_for_key(client: TestClient, auth: Auth, system: System) -> None:
    case_id = manual_review_case(client, auth, "ord_rp9", items=2)

    offered = answer(
        client, auth, case_id, "replace", "两张都补发", replacement_card_keys=["NEW-AAAA-0001", "NEW-BBBB-0002"]
    )
    assert offered.status_code == 200, offered.text
    assert reply(client, auth, case_id, accept=True).status_code == 200

    assert stored_keys(system, "ord_rp9") == ["NEW-AAAA-0001", "NEW-BBBB-0002"]
    case = staff_case(client, auth, case_id)
    assert [i["item_id"] for i in case["replacement"]["items"]] == ["ord_rp9_i0", "ord_rp9_i1"]
    assert case["status"] == "replaced"


def test_nobody_but_the_buyer_answers_and_another_merchant_cannot_offer(client: TestClient, auth: Auth) -> None:
    case_id = manual_review_case(client, auth, "ord_rp10")
    assert_problem(offer(client, auth, case_id, merchant="merchant_2"), 404, "not_found")
    assert_problem(reply(client, auth, case_id, accept=True), 409, "replacement_not_open")
    offer(client, auth, case_id)

    assert_problem(reply(client, auth, case_id, accept=True, buyer="buyer_2"), 404, "not_found")
    as_agent = client.post(
        f"/v1/refund-cases/{case_id}/replacement", json={"accept": True}, headers=auth("agent", "agent_1")
    )
    assert_problem(as_agent, 403, "forbidden")
    assert_problem(
        client.post(
            f"/v1/refund-cases/{case_id}/replacement", json={"accept": "yes"}, headers=auth("buyer", "buyer_1")
        ),
        422,
        "validation_failed",
    )
    assert staff_case(client, auth, case_id)["status"] == "replacement_offered"


def test_a_replaced_key_the_supplier_says_was_used_is_told_to_staff_not_to_the_buyer(
    client: TestClient, auth: Auth, supplier: FakeSupplier
) -> None:
    unused(supplier, "ord_rp11")
    case_id = manual_review_case(client, auth, "ord_rp11")
    supplier.voids[card_key_for("ord_rp11", 0)] = CardAnswer(CardState.REDEEMED)
    offer(client, auth, case_id)
    reply(client, auth, case_id, accept=True)

    staff = [c["code"] for line in staff_case(client, auth, case_id)["timeline"] for c in line["reason_codes"]]
    buyer = [c["code"] for line in buyer_case(client, auth, case_id)["timeline"] for c in line["reason_codes"]]

    assert "replaced_key_redeemed" in staff
    assert "replaced_key_redeemed" not in buyer
    assert "replaced_key_not_voided" in buyer


def test_a_supplier_down_leaves_the_void_to_a_retry_and_it_is_voided_once(
    client: TestClient, auth: Auth, system: System, supplier: FakeSupplier
) -> None:
    unused(supplier, "ord_rp12")
    case_id = manual_review_case(client, auth, "ord_rp12")
    offer(client, auth, case_id)
    supplier.void_down = True
    reply(client, auth, case_id, accept=True)
    assert staff_case(client, auth, case_id)["replacement"]["items"][0]["old_key"] == "pending"

    supplier.void_down = False
    void_replaced(system.ctx, CaseId(case_id))
    void_replaced(system.ctx, CaseId(case_id))

    case = staff_case(client, auth, case_id)
    assert case["replacement"]["items"][0]["old_key"] == "voided"
    codes = [c["code"] for line in case["timeline"] for c in line["reason_codes"]]
    assert codes.count("replaced_key_voided") == 1


def test_an_offer_and_an_approval_at_once_end_in_one_of_them(client: TestClient, auth: Auth, system: System) -> None:
    case_id = manual_review_case(client, auth, "ord_rp13")
    results: dict[str, int] = {}

    def run(name: str, call: Any) -> None:
        results[name] = call().status_code

    threads = [
        threading.Thread(target=run, args=("offer", lambda: offer(client, auth, case_id))),
        threading.Thread(
            target=run,
            args=(
                "approve",
                lambda: client.post(
                    f"/v1/refund-cases/{case_id}/decisions",
                    json={"action": "approve", "reason_codes": ["evidence_confirms_claim"], "note": "核实无误"},
                    headers=auth("agent", "agent_1"),
                ),
            ),
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    case = staff_case(client, auth, case_id)
    assert sorted(results.values()) == [200, 409], results
    if results["offer"] == 200:
        assert case["status"] == "replacement_offered"
        assert case["payout"] is None
    else:
        assert case["replacement"] is None
        assert case["payout"] is not None
