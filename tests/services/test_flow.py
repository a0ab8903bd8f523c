"""The whole flow through API v1: push an order, read its policy, claim, get refunded."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.support.factories import order_payload, png_bytes


def test_failed_delivery_is_refunded_to_balance_without_a_person(
    client: TestClient, auth: Callable[..., dict[str, str]]
) -> None:
    body = order_payload("ord_f1", delivery="failed", amount_fen=5000)
    assert client.post("/v1/orders", json=body, headers=auth("platform", "host")).status_code == 201

    check = client.post(
        "/v1/orders/ord_f1/refund-precheck", json={"reason": "not_delivered"}, headers=auth("buyer", "buyer_1")
    )
    assert check.status_code == 200
    assert check.json()["path"] == "auto_approve"

    created = client.post(
        "/v1/refund-cases",
        json={"order_id": "ord_f1", "reason": "not_delivered"},
        headers=auth("buyer", "buyer_1", **{"Idempotency-Key": "k-1"}),
    )
    assert created.status_code == 201
    case = client.get(f"/v1/refund-cases/{created.json()['id']}", headers=auth("buyer", "buyer_1")).json()
    assert case["status"] == "refunded"
    assert case["payout"]["amount_fen"] == 5000
    assert case["payout"]["voucher"] == case["payout"]["id"]
    assert [e["to_status"] for e in case["timeline"]] == ["submitted", "reviewing", "approved", "refunding", "refunded"]
    balance = client.get("/v1/ledger/accounts/buyer:buyer_1", headers=auth("buyer", "buyer_1")).json()
    assert balance["balance_fen"] == 5000


def test_card_invalid_goes_to_an_agent_who_approves(client: TestClient, auth: Callable[..., dict[str, str]]) -> None:
    client.post("/v1/orders", json=order_payload("ord_c1", items=2, amount_fen=20000), headers=auth("platform", "host"))
    upload = client.post(
        "/v1/evidence",
        files={"file": ("e.png", png_bytes(), "image/png")},
        data={"kind": "error_screenshot"},
        headers=auth("buyer", "buyer_1"),
    )
    assert upload.status_code == 201
    created = client.post(
        "/v1/refund-cases",
        json={
            "order_id": "ord_c1",
            "reason": "card_invalid",
            "item_ids": ["ord_c1_i1"],
            "evidence_ids": [upload.json()["id"]],
        },
        headers=auth("buyer", "buyer_1"),
    )
    case_id = created.json()["id"]
    queue = client.get("/v1/review-queue", headers=auth("agent", "agent_1")).json()["items"]
    assert [c["id"] for c in queue] == [case_id]
    decided = client.post(
        f"/v1/refund-cases/{case_id}/decisions",
        json={"action": "approve", "reason_codes": ["supplier_confirmed_fault"], "note": "核实无误"},
        headers=auth("agent", "agent_1"),
    )
    assert decided.status_code == 200
    case = client.get(f"/v1/refund-cases/{case_id}", headers=auth("buyer", "buyer_1")).json()
    assert case["status"] == "refunded"
    assert case["payout"]["amount_fen"] == 10000
    assert case["decision"]["tier"] == "agent"
    supplier = client.get("/v1/ledger/accounts/supplier:supplier_1:deposit", headers=auth("admin", "root")).json()
    assert supplier["balance_fen"] == -10000


def test_the_docs_page_lists_the_endpoints_and_loads_nothing_from_elsewhere(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/v1/refund-cases" in page.text
    assert "/v1/orders/{order_id}/refund-precheck" in page.text
    assert "http://" not in page.text
    assert "https://" not in page.text
    assert "<script" not in page.text
    assert client.get("/redoc").status_code == 404
    assert client.get("/openapi.json").json()["info"]["title"] == "tuika 退卡 API"
