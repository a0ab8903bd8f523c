"""The party at fault pays a handling fee on top of the refund recovered from it, when the policy says so."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.test_api_validation import default_policy
from tests.support.api import Auth, manual_review_case
from tests.support.factories import assert_problem


def publish(client: TestClient, auth: Auth, fault_fees: dict[str, Any]) -> None:
    document = default_policy()
    document["title"] = "卡盟标准退卡政策（含责任方处理费）"
    document["fault_fees"] = fault_fees
    published = client.post("/v1/policies", json={"document": document}, headers=auth("admin", "root"))
    assert published.status_code == 201, published.text


def account(client: TestClient, auth: Auth, name: str) -> dict[str, Any]:
    found = client.get(f"/v1/ledger/accounts/{name}", headers=auth("admin", "root"))
    assert found.status_code == 200, found.text
    return dict(found.json())


def approve(client: TestClient, auth: Auth, case_id: str) -> dict[str, Any]:
    decided = client.post(
        f"/v1/refund-cases/{case_id}/decisions",
        json={"action": "approve", "reason_codes": ["supplier_confirmed_fault"]},
        headers=auth("agent", "agent_1"),
    )
    assert decided.status_code == 200, decided.text
    case = client.get(f"/v1/refund-cases/{case_id}", headers=auth("buyer", "buyer_1")).json()
    assert case["status"] == "refunded", case
    return dict(case)


def test_the_supplier_at_fault_pays_the_refund_and_its_handling_fee_the_buyer_gets_it_all(
    client: TestClient, auth: Auth
) -> None:
    publish(client, auth, {"supplier": {"kind": "percent", "percent_bp": 200, "cap_fen": 500}})
    case_id = manual_review_case(client, auth, "ord_ff1", amount_fen=10000)

    case = approve(client, auth, case_id)

    # A supplier's fault: the buyer's refund is whole.
    assert (case["payout"]["amount_fen"], case["payout"]["fee_fen"]) == (10000, 0)
    supplier = account(client, auth, "supplier:supplier_1:deposit")
    assert supplier["balance_fen"] == -10000 - 200
    memos = [e["memo"] for e in supplier["entries"]]
    assert any("责任方处理费" in m for m in memos), memos
    income = account(client, auth, "platform:fee_income")
    assert income["balance_fen"] == 200


def test_the_cap_holds_and_a_party_not_named_pays_nothing_more(client: TestClient, auth: Auth) -> None:
    publish(client, auth, {"supplier": {"kind": "percent", "percent_bp": 200, "cap_fen": 500}})
    case_id = manual_review_case(client, auth, "ord_ff2", amount_fen=90000)

    approve(client, auth, case_id)

    assert account(client, auth, "supplier:supplier_1:deposit")["balance_fen"] == -90000 - 500
    assert account(client, auth, "platform:fee_income")["balance_fen"] == 500


def test_without_fault_fees_the_party_at_fault_pays_the_refund_only(client: TestClient, auth: Auth) -> None:
    case_id = manual_review_case(client, auth, "ord_ff3", amount_fen=10000)

    approve(client, auth, case_id)

    assert account(client, auth, "supplier:supplier_1:deposit")["balance_fen"] == -10000


def test_a_fault_fee_for_anyone_but_a_supplier_or_a_merchant_is_refused(client: TestClient, auth: Auth) -> None:
    for fees, wrong in (
        ({"buyer": {"kind": "actual_cost", "fen": 100}}, "fault_fees.buyer"),
        ({"supplier": {"kind": "percent", "percent_bp": 0}}, "fault_fees.supplier.percent_bp"),
        ({"merchant": {"kind": "flat", "fen": 100}}, "fault_fees.merchant.kind"),
        ({"merchant": "1%"}, "fault_fees.merchant"),
    ):
        document = default_policy()
        document["fault_fees"] = fees
        refused = client.post("/v1/policies", json={"document": document}, headers=auth("admin", "root"))
        problem = assert_problem(refused, 422, "policy_invalid")
        assert wrong in str(problem), problem
