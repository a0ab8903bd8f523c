"""The host platform reads back what it pushed: its orders, and every case on them as their buyers read them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.support.api import file_case, push, upload
from tests.support.factories import assert_problem, order_payload
from tuika.bootstrap import System

Auth = Callable[..., dict[str, str]]


def _claim_rejected_as_fraud(client: TestClient, auth: Auth, order_id: str) -> str:
    case = file_case(
        client, auth, {"order_id": order_id, "reason": "card_invalid", "evidence_ids": [upload(client, auth)]}
    )
    decided = client.post(
        f"/v1/refund-cases/{case['id']}/decisions",
        json={"action": "reject", "reason_codes": ["suspected_fraud"], "note": "the same screenshot as another claim"},
        headers=auth("agent", "agent_1"),
    )
    assert decided.status_code == 200, decided.text
    return str(case["id"])


def test_the_platform_reads_back_an_order_it_pushed(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_pf1", amount_fen=4200))
    platform = auth("platform", "host")

    one = client.get("/v1/orders/ord_pf1", headers=platform)
    assert one.status_code == 200, one.text
    assert (one.json()["id"], one.json()["amount_fen"], one.json()["buyer_id"]) == ("ord_pf1", 4200, "buyer_1")
    listed = client.get("/v1/orders", headers=platform)
    assert [o["id"] for o in listed.json()["items"]] == ["ord_pf1"]
    assert_problem(client.get("/v1/orders/ord_nope", headers=platform), 404, "not_found")


def test_the_platform_lists_the_cases_of_an_order_and_what_moved_without_the_anti_fraud_signals(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_pf2"))
    push(client, auth, order_payload("ord_pf3", delivery="failed"))
    case_id = _claim_rejected_as_fraud(client, auth, "ord_pf2")
    other = file_case(client, auth, {"order_id": "ord_pf3", "reason": "not_delivered", "route": "balance"})
    platform = auth("platform", "host")

    of_order = client.get("/v1/refund-cases", params={"order_id": "ord_pf2"}, headers=platform)
    assert of_order.status_code == 200, of_order.text
    [summary] = of_order.json()["items"]
    assert (summary["id"], summary["status"]) == (case_id, "rejected")
    codes = [c["code"] for c in summary["reason_codes"]]
    assert "suspected_fraud" not in codes
    assert "not_approved_after_review" in codes

    case = client.get(f"/v1/refund-cases/{case_id}", headers=platform).json()
    said = [c["code"] for line in case["timeline"] for c in line["reason_codes"]] + [
        c["code"] for d in case["decisions"] for c in d["reason_codes"]
    ]
    assert "suspected_fraud" not in said
    assert {f["kind"] for f in case["findings"]} <= {"supplier_card", "supplier_topup", "supplier_void"}
    # The staff's own view keeps everything.
    staff = client.get(f"/v1/refund-cases/{case_id}", headers=auth("agent", "agent_1")).json()
    assert "suspected_fraud" in [c["code"] for c in staff["reason_codes"]]

    everything = client.get("/v1/refund-cases", headers=platform).json()["items"]
    assert {c["id"] for c in everything} == {case_id, other["id"]}
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert client.get("/v1/refund-cases", params={"updated_after": later}, headers=platform).json()["items"] == []
    earlier = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    moved = client.get("/v1/refund-cases", params={"updated_after": earlier}, headers=platform).json()["items"]
    assert {c["id"] for c in moved} == {case_id, other["id"]}


def test_a_bad_time_is_refused(client: TestClient, auth: Auth, system: System) -> None:
    refused = client.get("/v1/refund-cases", params={"updated_after": "yesterday"}, headers=auth("platform", "host"))
    assert_problem(refused, 422, "validation_failed")
