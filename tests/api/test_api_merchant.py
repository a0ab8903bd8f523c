"""A merchant reads the claims on its own goods, as it needs them to answer, and nothing else."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.support.api import Auth, card_claim, upload
from tests.support.factories import assert_problem, png_bytes


def _claims(client: TestClient, auth: Auth) -> dict[str, dict[str, Any]]:
    """File a claim on merchant_1's goods (its screenshot reused: staff see why) and one on merchant_2's."""
    shot = png_bytes(color="maroon")
    card_claim(client, auth, "ord_mm0", "buyer_9", shot)
    mine = card_claim(client, auth, "ord_mm1", "buyer_1", shot)
    theirs = card_claim(client, auth, "ord_mm2", "buyer_2", merchant_id="merchant_2")
    assert "evidence_reused" in [c["code"] for c in mine["reason_codes"]]
    return {"mine": mine, "theirs": theirs}


def test_a_merchant_lists_and_reads_the_claims_on_its_own_goods_in_the_merchants_view(
    client: TestClient, auth: Auth
) -> None:
    claims = _claims(client, auth)
    merchant = auth("merchant", "merchant_1")

    listed = client.get("/v1/refund-cases", headers=merchant)
    assert listed.status_code == 200, listed.text
    assert [c["order_id"] for c in listed.json()["items"]] == ["ord_mm0", "ord_mm1"]
    one = client.get(f"/v1/refund-cases/{claims['mine']['id']}", headers=merchant)
    assert one.status_code == 200, one.text
    case = one.json()

    # What it needs to answer: the reason, the buyer's words, the evidence and what the machine read.
    assert (case["order_id"], case["reason"], case["status"]) == ("ord_mm1", "card_invalid", "manual_review")
    assert [e["id"] for e in case["evidence"]] == [e["id"] for e in claims["mine"]["evidence"]]
    # Not who the buyer is, nor what the anti-fraud review made of them.
    assert case["buyer_id"] == "bu***_1"
    for text in (one.text, listed.text):
        assert "buyer_1" not in text
        assert "buyer_9" not in text
        assert "evidence_reused" not in text
        assert claims["theirs"]["id"] not in text
    assert [f for f in case["findings"] if f["kind"] in ("forensics", "history", "delivery")] == []


def test_a_merchant_reads_its_own_order_with_the_keys_and_the_buyer_masked(client: TestClient, auth: Auth) -> None:
    _claims(client, auth)

    order = client.get("/v1/orders/ord_mm1", headers=auth("merchant", "merchant_1"))

    assert order.status_code == 200, order.text
    body = order.json()
    assert body["buyer_id"] == "bu***_1"
    [item] = body["items"]
    assert item["card_key_masked"] is True
    assert "*" in item["card_key"]
    assert item["claim_id"] is not None


def test_a_merchant_fetches_the_evidence_behind_a_claim_on_its_goods_and_no_other(
    client: TestClient, auth: Auth
) -> None:
    claims = _claims(client, auth)
    merchant = auth("merchant", "merchant_1")
    [mine] = claims["mine"]["evidence"]
    [theirs] = claims["theirs"]["evidence"]
    loose = upload(client, auth, "buyer_1")  # uploaded, not behind any claim yet

    shown = client.get(f"/v1/evidence/{mine['id']}/content", headers=merchant)
    assert shown.status_code == 200, shown.text
    assert shown.headers["content-type"] == "image/png"
    for evidence_id in (theirs["id"], loose):
        assert_problem(client.get(f"/v1/evidence/{evidence_id}/content", headers=merchant), 404, "not_found")
        assert_problem(client.get(f"/v1/evidence/{evidence_id}", headers=merchant), 404, "not_found")


def test_another_merchant_can_read_and_do_nothing_with_a_claim_not_on_its_goods(client: TestClient, auth: Auth) -> None:
    claims = _claims(client, auth)
    other = auth("merchant", "merchant_2")
    case_id = claims["mine"]["id"]

    listed = client.get("/v1/refund-cases", headers=other).json()["items"]
    assert [c["id"] for c in listed] == [claims["theirs"]["id"]]
    assert_problem(client.get(f"/v1/refund-cases/{case_id}", headers=other), 404, "not_found")
    assert_problem(client.get("/v1/orders/ord_mm1", headers=other), 404, "not_found")
    assert_problem(client.post(f"/v1/refund-cases/{case_id}/contest", headers=other), 404, "not_found")
    # Filters do not widen what it reads.
    by_order = client.get("/v1/refund-cases", params={"order_id": "ord_mm1"}, headers=other).json()["items"]
    assert by_order == []


def test_a_merchant_is_not_staff_and_not_the_buyer(client: TestClient, auth: Auth) -> None:
    claims = _claims(client, auth)
    merchant = auth("merchant", "merchant_1")
    case_id = claims["mine"]["id"]

    decided = client.post(
        f"/v1/refund-cases/{case_id}/decisions",
        json={"action": "approve", "reason_codes": ["card_invalid_confirmed"]},
        headers=merchant,
    )
    assert_problem(decided, 403, "forbidden")
    assert_problem(client.get("/v1/review-queue", headers=merchant), 403, "forbidden")
    assert_problem(client.get("/v1/orders", headers=merchant), 403, "forbidden")
    assert_problem(client.post(f"/v1/refund-cases/{case_id}/withdraw", headers=merchant), 403, "forbidden")
    assert client.get(f"/v1/refund-cases/{case_id}", headers=auth("buyer", "buyer_1")).json()["status"] == (
        "manual_review"
    )
