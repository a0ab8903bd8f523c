"""Machine review with the supplier's answers: decided in seconds where the records settle it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.support.api import Auth, balance, file_case, push, upload
from tests.support.factories import card_key_for, count_rows, order_payload, postings
from tests.support.suppliers import FakeSupplier
from tests.support.web import sign_in
from tuika.bootstrap import System
from tuika.domain.supplier import CardAnswer, CardState, TopupAnswer, TopupState
from tuika.services.payouts import paying
from tuika_dev.demo import orders as demo_orders
from tuika_dev.demo import seed, seed_supplier


def card_claim(client: TestClient, auth: Auth, order_id: str, **order: Any) -> dict[str, Any]:
    push(client, auth, order_payload(order_id, amount_fen=6000, **order))
    body = {"order_id": order_id, "reason": "card_invalid", "evidence_ids": [upload(client, auth)]}
    return file_case(client, auth, body)


def codes(case: dict[str, Any]) -> list[str]:
    return [c["code"] for c in case["reason_codes"]]


def test_a_key_the_supplier_calls_invalid_is_refunded_with_no_person(
    client: TestClient, auth: Auth, system: System, supplier: FakeSupplier
) -> None:
    key = card_key_for("ord_sv1")
    case = card_claim(client, auth, "ord_sv1")

    assert case["status"] == "refunded"
    assert codes(case) == ["refunded_to_balance"]
    assert [c["code"] for c in case["decision"]["reason_codes"]] == [
        "policy_refundable",
        "supplier_card_invalid",
        "auto_approved",
    ]
    assert supplier.asked == [("card", "supplier_1", key)]
    [finding] = case["findings"]
    asked_at = finding["facts"].pop("asked_at")
    assert (finding["kind"], finding["subject"], finding["facts"]) == (
        "supplier_card",
        "ord_sv1_i0",
        {"state": "invalid", "redeemed_at": None, "redeemed_by": None},
    )
    assert datetime.fromisoformat(asked_at) <= datetime.fromisoformat(case["decision"]["at"])
    assert key not in str(case)  # the key went to its supplier, never into the case
    assert balance(client, auth) == 6000


def test_a_key_redeemed_after_delivery_is_rejected_on_the_suppliers_record(
    client: TestClient, auth: Auth, system: System, supplier: FakeSupplier
) -> None:
    key = card_key_for("ord_sv2")
    used_at = datetime.now(UTC) - timedelta(minutes=30)  # the factory delivers 59 minutes ago
    supplier.cards[key] = CardAnswer(CardState.REDEEMED, used_at, "广东 138****0000")

    case = card_claim(client, auth, "ord_sv2")

    assert (case["status"], codes(case)) == ("rejected", ["card_redeemed_after_delivery"])
    facts = case["findings"][0]["facts"]
    assert (facts["state"], facts["redeemed_by"]) == ("redeemed", "广东 138****0000")
    assert datetime.fromisoformat(str(facts["redeemed_at"])) == used_at
    assert count_rows(system.engine, "payouts") == 0


def test_a_key_redeemed_before_delivery_is_the_suppliers_fault(
    client: TestClient, auth: Auth, system: System, supplier: FakeSupplier
) -> None:
    key = card_key_for("ord_sv3")
    supplier.cards[key] = CardAnswer(CardState.REDEEMED, datetime.now(UTC) - timedelta(hours=3))

    case = card_claim(client, auth, "ord_sv3")

    assert case["status"] == "refunded"
    assert "redeemed_before_delivery" in [c["code"] for c in case["decision"]["reason_codes"]]
    assert case["liable"] == "supplier"


def test_a_supplier_that_cannot_answer_sends_the_claim_to_a_person(
    client: TestClient, auth: Auth, system: System, supplier: FakeSupplier
) -> None:
    supplier.down = True

    case = card_claim(client, auth, "ord_sv4")

    assert (case["status"], codes(case)) == ("manual_review", ["supplier_unavailable"])
    [finding] = case["findings"]
    assert (finding["kind"], finding["facts"]) == ("supplier_unavailable", {"detail": "timed out 3 times"})


def test_a_key_the_supplier_calls_unused_waits_for_a_person(
    client: TestClient, auth: Auth, system: System, supplier: FakeSupplier
) -> None:
    key = card_key_for("ord_sv5")
    supplier.cards[key] = CardAnswer(CardState.UNUSED)

    case = card_claim(client, auth, "ord_sv5")

    assert (case["status"], codes(case)) == ("manual_review", ["card_unused_per_supplier"])


def topup_claim(client: TestClient, auth: Auth, order_id: str, evidence: bool = False) -> dict[str, Any]:
    push(client, auth, order_payload(order_id, kind="direct_topup", amount_fen=3000))
    body: dict[str, Any] = {"order_id": order_id, "reason": "not_delivered"}
    if evidence:
        body["evidence_ids"] = [upload(client, auth, kind="carrier_record")]
    return file_case(client, auth, body)


def test_a_top_up_the_upstream_says_failed_is_refunded_in_full(
    client: TestClient, auth: Auth, system: System, supplier: FakeSupplier
) -> None:
    supplier.topups["ord_st1:ord_st1_i0"] = TopupAnswer(TopupState.FAILED)

    case = topup_claim(client, auth, "ord_st1")

    assert case["status"] == "refunded"
    assert case["payout"]["amount_fen"] == 3000
    assert supplier.asked == [("topup", "supplier_1", "ord_st1:ord_st1_i0")]


def test_a_top_up_reported_successful_asks_the_buyer_for_the_carrier_record(
    client: TestClient, auth: Auth, system: System, supplier: FakeSupplier
) -> None:
    supplier.topups["ord_st2:ord_st2_i0"] = TopupAnswer(TopupState.SUCCEEDED, "CMCC-778899")

    case = topup_claim(client, auth, "ord_st2")

    assert (case["status"], codes(case)) == ("awaiting_evidence", ["evidence_missing", "topup_reported_succeeded"])
    assert case["findings"][0]["facts"]["carrier_ref"] == "CMCC-778899"
    due = datetime.fromisoformat(case["due_at"]) - datetime.fromisoformat(case["updated_at"])
    assert due == timedelta(hours=48)


def test_without_a_supplier_nothing_is_asked_and_a_person_verifies(client: TestClient, auth: Auth) -> None:
    case = card_claim(client, auth, "ord_sv6")

    assert (case["status"], codes(case)) == ("manual_review", ["card_usage_unverified"])
    assert case["findings"] == []


@dataclass
class RecordingBook:
    cards: list[tuple[str, str, CardState, datetime | None]] = field(default_factory=list)
    topups: list[tuple[str, str, TopupState]] = field(default_factory=list)

    def add_card(
        self,
        supplier_id: str,
        card_key: str,
        state: CardState,
        redeemed_at: datetime | None = None,
        redeemed_by: str | None = None,
    ) -> None:
        self.cards.append((supplier_id, card_key, state, redeemed_at))

    def add_topup(
        self,
        supplier_id: str,
        reference: str,
        state: TopupState,
        carrier_ref: str | None = None,
        at: datetime | None = None,
    ) -> None:
        self.topups.append((supplier_id, reference, state))


def test_the_demo_supplier_knows_every_delivered_key_and_shows_every_path(system: System) -> None:
    seed(system.ctx)
    book = RecordingBook()

    seed_supplier(system.ctx, book)

    delivered_keys = {
        (o.supplier_id, key)
        for o, keys, _ in demo_orders(system.ctx.clock.now())
        if o.delivery_status.value == "delivered"
        for key in keys.values()
    }
    assert {(s, k) for s, k, _, _ in book.cards} == delivered_keys
    assert {state for *_, state, _ in book.cards} == {
        CardState.INVALID,
        CardState.REDEEMED,
        CardState.UNUSED,
    }
    assert {state for *_, state in book.topups} == set(TopupState)
    assert all(ref.startswith("ord_demo_") and ":" in ref for _, ref, _ in book.topups)


def approve(client: TestClient, auth: Auth, case_id: str) -> dict[str, Any]:
    response = client.post(
        f"/v1/refund-cases/{case_id}/decisions",
        json={"action": "approve", "reason_codes": ["supplier_confirmed_fault"], "note": "核实"},
        headers=auth("agent", "agent_1"),
    )
    assert response.status_code == 200, response.text
    now = client.get(f"/v1/refund-cases/{case_id}", headers=auth("buyer", "buyer_1"))
    return dict(now.json())


def test_an_unused_key_is_voided_with_the_supplier_before_the_refund_is_paid(
    client: TestClient, auth: Auth, system: System, supplier: FakeSupplier
) -> None:
    key = card_key_for("ord_vd1")
    supplier.cards[key] = CardAnswer(CardState.UNUSED)
    waiting = card_claim(client, auth, "ord_vd1")

    case = approve(client, auth, waiting["id"])

    assert case["status"] == "refunded"
    assert supplier.asked == [("card", "supplier_1", key), ("void", "supplier_1", key)]
    void = case["findings"][-1]
    assert (void["kind"], void["facts"]["state"], [c["code"] for c in void["reason_codes"]]) == (
        "supplier_void",
        "voided",
        ["card_voided_before_refund"],
    )
    assert balance(client, auth) == 6000


def test_a_key_used_before_it_could_be_voided_stops_the_refund_for_a_person(
    client: TestClient, auth: Auth, system: System, supplier: FakeSupplier
) -> None:
    key = card_key_for("ord_vd2")
    supplier.cards[key] = CardAnswer(CardState.UNUSED)
    supplier.voids[key] = CardAnswer(CardState.REDEEMED, datetime.now(UTC))
    waiting = card_claim(client, auth, "ord_vd2")

    case = approve(client, auth, waiting["id"])

    assert (case["status"], codes(case)) == ("manual_review", ["card_redeemed_before_void"])
    assert case["payout"]["status"] == "failed"
    assert balance(client, auth) == 0
    assert postings(system.engine, "refund", "clawback") == 0


def test_a_supplier_down_at_voiding_time_leaves_the_payout_waiting_then_it_is_paid_once(
    client: TestClient, auth: Auth, system: System, supplier: FakeSupplier
) -> None:
    key = card_key_for("ord_vd3")
    supplier.cards[key] = CardAnswer(CardState.UNUSED)
    supplier.void_down = True
    waiting = card_claim(client, auth, "ord_vd3")

    case = approve(client, auth, waiting["id"])
    assert (case["status"], case["payout"]["status"]) == ("approved", "pending")
    assert balance(client, auth) == 0

    supplier.void_down = False
    paying.execute(system.ctx, case["payout"]["id"])
    paying.execute(system.ctx, case["payout"]["id"])

    assert balance(client, auth) == 6000
    assert [a[0] for a in supplier.asked] == ["card", "void", "void"]


def test_a_key_the_supplier_already_called_invalid_is_not_voided(
    client: TestClient, auth: Auth, supplier: FakeSupplier
) -> None:
    card_claim(client, auth, "ord_vd4")

    assert [a[0] for a in supplier.asked] == ["card"]


def test_one_key_in_two_orders_is_refunded_by_no_machine_and_each_case_shows_the_other_order(
    client: TestClient, auth: Auth, system: System, supplier: FakeSupplier
) -> None:
    key = card_key_for("ord_dk1")
    push(client, auth, order_payload("ord_dk1", amount_fen=19700, buyer="buyer_1"))
    twice = order_payload("ord_dk2", amount_fen=19700, buyer="buyer_2")
    twice["items"][0]["card_key"] = key.lower().replace("-", " ")  # the same key, spelt otherwise
    pushed = client.post("/v1/orders", json=twice, headers=auth("platform", "host"))

    # The host platform hears at once that it delivered one key twice.
    assert pushed.status_code == 201, pushed.text
    assert pushed.json()["warnings"] == [
        {
            "code": "card_key_in_other_order",
            "item_id": "ord_dk2_i0",
            "other_order_id": "ord_dk1",
            "other_item_id": "ord_dk1_i0",
            "title": "This card key was already delivered in another order",
            "title_zh": "该卡密已在另一笔订单中发出",
        }
    ]
    assert key not in pushed.text
    first = file_case(
        client, auth, {"order_id": "ord_dk1", "reason": "card_invalid", "evidence_ids": [upload(client, auth)]}
    )
    second = file_case(
        client,
        auth,
        {"order_id": "ord_dk2", "reason": "card_invalid", "evidence_ids": [upload(client, auth, "buyer_2")]},
        "buyer_2",
    )

    # The supplier calls the key invalid, which alone would refund both: one key, 394 yuan.
    for case, other, other_buyer in ((first, "ord_dk2", "buyer_2"), (second, "ord_dk1", "buyer_1")):
        assert case["status"] == "manual_review", case
        assert "card_key_in_other_order" in codes(case)
        [twin] = [f for f in case["findings"] if f["kind"] == "delivery"]
        assert twin["facts"]["other_order"] == other
        assert twin["facts"]["other_buyer"] == other_buyer
        assert twin["subject"] == f"{case['order_id']}_i0"
    assert twin["facts"]["other_case"] == first["id"]  # the second case names the first's claim
    assert count_rows(system.engine, "payouts") == 0
    assert balance(client, auth) == 0
    # The buyer is not shown the other buyer's order: the reason is withheld on their page.
    sign_in(client, system, "buyer_2")
    page = client.get(f"/cases/{second['id']}").text
    assert "ord_dk1" not in page
    assert "buyer_1" not in page
    assert "需要核实订单信息" in page
    # What the supplier confirmed is told apart from why a person looks, not given as its reason.
    [line] = [e for e in page.split('data-test="event"')[1:] if "需要核实订单信息" in e]
    assert '<p class="case-confirmed" data-test="confirmed">已核实：<span>供货商确认卡密无效</span></p>' in line
    assert "<li>供货商确认卡密无效</li>" not in line
    # The agent sees both orders, and the other claim one click away.
    sign_in(client, system, "agent_1", "agent")
    console = client.get(f"/console/cases/{second['id']}").text
    warning = console[console.index('data-code="card_key_in_other_order"') :]
    warning = warning[: warning.index("</li>")]
    assert '另一订单 <code data-test="other-order">ord_dk1</code>（买家 <code>buyer_1</code>' in warning
    assert f'href="/console/cases/{first["id"]}" data-test="other-case"' in warning
    assert "平台一卡两发" in warning


def test_a_key_the_platform_delivers_once_raises_no_warning(client: TestClient, auth: Auth) -> None:
    pushed = client.post("/v1/orders", json=order_payload("ord_dk3"), headers=auth("platform", "host"))
    again = client.post("/v1/orders", json=order_payload("ord_dk3"), headers=auth("platform", "host"))

    assert (pushed.json()["warnings"], again.json()["warnings"]) == ([], [])  # its own order is no other
